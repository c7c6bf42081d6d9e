#!/usr/bin/env bash
# odoo-init: prepares the database every Odoo node of the stack uses, once, before any node starts.
#   init.sh <odoo command…>     e.g. "init.sh odoo" in the image, "init.sh /usr/bin/python3 <src>/odoo-bin" from source
# 1. the 'odoo' role (Odoo refuses the postgres superuser), password from the odoo-db-password parameter;
# 2. '-i base --stop-after-init' unless the database already has base installed (a second run reuses it);
# 3. the admin user's password from the odoo-admin-password parameter: no deployment keeps admin/admin;
# 4. the asset bundles the login page and the web client load, built now on the primary. Odoo 18 builds a missing
#    bundle on the primary and then reads it back through the read-only (replica) cursor: a first request that
#    outruns replication gets a 400, and that page has no CSS. Built here, every node finds them on the replicas.
# Environment: ODOO_CONF ODOO_DATABASE ODOO_DB_USER ODOO_DB_PASSWORD ODOOASPIRE_ADMIN_PASSWORD,
#              PGHOST PGPORT PGUSER PGPASSWORD (the primary's superuser)
set -euo pipefail
exec 2>&1   # the dashboard shows stderr lines as errors; Odoo logs everything there
odoo=("$@")
[ ${#odoo[@]} -gt 0 ] || { echo "usage: init.sh <odoo command…>"; exit 2; }

psql -v ON_ERROR_STOP=1 -qtA -d postgres -v role="$ODOO_DB_USER" -v password="$ODOO_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'password') \gexec
SQL
echo "role $ODOO_DB_USER ready on $PGHOST:$PGPORT"

installed=$(psql -qtA -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$ODOO_DATABASE'")
if [ "$installed" = 1 ]; then
  installed=$(psql -qtA -d "$ODOO_DATABASE" -c "SELECT 1 FROM pg_tables WHERE tablename = 'ir_module_module'")
  if [ "$installed" = 1 ]; then
    installed=$(psql -qtA -d "$ODOO_DATABASE" -c "SELECT 1 FROM ir_module_module WHERE name = 'base' AND state = 'installed'")
  fi
fi

if [ "$installed" = 1 ]; then
  echo "database $ODOO_DATABASE already initialised: reusing it"
else
  echo "initialising database $ODOO_DATABASE (-i base)"
  "${odoo[@]}" --config="$ODOO_CONF" -d "$ODOO_DATABASE" -i base --stop-after-init --no-http
fi

# odoo shell runs a script given on stdin; the password travels in the environment, never in argv.
"${odoo[@]}" shell --config="$ODOO_CONF" -d "$ODOO_DATABASE" --no-http <<'PY'
import os
env['res.users'].browse(2).password = os.environ['ODOOASPIRE_ADMIN_PASSWORD']
env.cr.commit()
print("admin password set from odoo-admin-password")
for name in ('web.assets_frontend', 'web.assets_frontend_minimal', 'web.assets_frontend_lazy', 'web.assets_web'):
    bundle = env['ir.qweb']._get_asset_bundle(name)
    built = [kind for kind, files, build in (('css', bundle.stylesheets, bundle.css), ('js', bundle.javascripts, bundle.js)) if files and build()]
    env.cr.commit()
    print(f"asset bundle {name}: {' '.join(built) or 'empty'}")
PY
