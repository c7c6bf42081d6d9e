#!/usr/bin/env bash
# Installs the Debian packages the process runtime and the tests use, when any is missing.
# Used by run.sh, test.sh (with --tests) and CI; a no-op on a machine that already has them.
set -euo pipefail
packages=(postgresql redis-server nginx openssl python3 python3-redis python3-werkzeug util-linux)
# The tests also drive a real browser through the edge.
[ "${1:-}" = "--tests" ] && packages+=(chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
