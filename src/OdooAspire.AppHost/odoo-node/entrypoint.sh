#!/bin/bash
# Entrypoint of the node image: writes the odoo.conf the AppHost rendered (ODOOASPIRE_ODOO_CONF, from the
# model) where Odoo reads it (ODOO_RC), then runs the command: the official entrypoint for a node,
# init.sh for odoo-init. The conf travels in the environment so the same model runs locally and deploys.
set -euo pipefail
if [ -n "${ODOOASPIRE_ODOO_CONF:-}" ]; then
  (umask 077 && printf '%s' "$ODOOASPIRE_ODOO_CONF" > "$ODOO_RC")
fi
exec "$@"
