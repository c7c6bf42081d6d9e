#!/usr/bin/env bash
# Installs the Debian packages the process runtime and the tests use, when any is missing.
# Used by run.sh, test.sh (with --tests) and CI; a no-op on a machine that already has them.
# With ODOOASPIRE_ODOO_SOURCE naming an Odoo tree, also what that Odoo needs (its debian/control).
set -euo pipefail
packages=(postgresql redis-server nginx openssl python3 python3-redis python3-werkzeug util-linux)
# The tests also drive a real browser through the edge.
[ "${1:-}" = "--tests" ] && packages+=(chromium)

# Odoo's own list: the Depends of its debian/control, one group of alternatives ("a | b") per entry.
odoo_groups=()
control="${ODOOASPIRE_ODOO_SOURCE:-}/debian/control"
if [ -n "${ODOOASPIRE_ODOO_SOURCE:-}" ] && [ -f "$control" ]; then
  while IFS= read -r group; do
    odoo_groups+=("$group")
  done < <(sed -n '/^Depends:/,/^[A-Za-z-]*:/{/^ /p}' "$control" | sed 's/#.*//; s/([^)]*)//g' | tr ',' '\n' \
    | sed 's/^ *//; s/ *$//; s/ *| */|/g' | grep -v -e '^$' -e '^\$')
fi

# Captured, not piped into grep -q: with pipefail, grep leaving early would fail the test.
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"install ok installed"* ]]; }
missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
missing_groups=()
for group in "${odoo_groups[@]}"; do
  found=no
  for package in ${group//|/ }; do installed "$package" && found=yes && break; done
  [ "$found" = yes ] || missing_groups+=("$group")
done
[ ${#missing[@]} -eq 0 ] && [ ${#missing_groups[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} ${missing_groups[*]}: sudo apt-get install ${missing[*]} ${missing_groups[*]//|*/}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Of each group of alternatives, the first this release has.
for group in "${missing_groups[@]}"; do
  for package in ${group//|/ }; do
    if [[ "$(apt-cache policy "$package" 2>/dev/null)" == *"Candidate: "[!\(]* ]]; then missing+=("$package"); break; fi
  done
done
echo "installing Debian packages: ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
