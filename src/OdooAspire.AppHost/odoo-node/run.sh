#!/usr/bin/env bash
# Runs one Odoo node from a source tree for the AppHost's process runtime: run.sh <odoo command…>
# Odoo logs to stderr, which the dashboard shows as errors line by line: its log goes to stdout instead.
exec "$@" 2>&1
