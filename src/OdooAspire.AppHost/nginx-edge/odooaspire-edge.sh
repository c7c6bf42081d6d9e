#!/bin/sh
# Writes the edge's nginx.conf and TLS files from the environment the AppHost gives the container:
#   ODOOASPIRE_NGINX_CONF_BASE64  the conf rendered from the model (base64: it is full of braces, which
#                                 deployment tools read as references), with ${ODOOASPIRE_GATEWAY} in it
#   ODOOASPIRE_GATEWAY            the gateway as host:port, known only where the stack runs
#   ODOOASPIRE_TLS_CERTIFICATE    PEM certificate chain  } when the edge terminates TLS itself (a local run);
#   ODOOASPIRE_TLS_KEY            PEM private key        } deployed, the platform's ingress does
# ODOOASPIRE_EDGE_DIR moves the output (the image's default is what the conf and CMD expect).
set -eu
dir="${ODOOASPIRE_EDGE_DIR:-/etc/nginx/odooaspire}"
for variable in ODOOASPIRE_NGINX_CONF_BASE64 ODOOASPIRE_GATEWAY; do
  if eval "[ -z \"\${$variable:-}\" ]"; then
    echo "odooaspire-edge: $variable is empty; the AppHost sets it (OdooAspire:Edge=nginx)" >&2
    exit 1
  fi
done

mkdir -p "$dir/tls"
conf=$(printf '%s' "$ODOOASPIRE_NGINX_CONF_BASE64" | base64 -d) || {
  echo "odooaspire-edge: ODOOASPIRE_NGINX_CONF_BASE64 is not base64" >&2
  exit 1
}
# Only this one variable is replaced; nginx's own $host, $remote_addr, … stay as they are.
printf '%s\n' "$conf" | awk -v gateway="$ODOOASPIRE_GATEWAY" '{ gsub(/\$\{ODOOASPIRE_GATEWAY\}/, gateway); print }' > "$dir/nginx.conf"
if [ -n "${ODOOASPIRE_TLS_CERTIFICATE:-}" ] || [ -n "${ODOOASPIRE_TLS_KEY:-}" ]; then
  if [ -z "${ODOOASPIRE_TLS_CERTIFICATE:-}" ] || [ -z "${ODOOASPIRE_TLS_KEY:-}" ]; then
    echo "odooaspire-edge: ODOOASPIRE_TLS_CERTIFICATE and ODOOASPIRE_TLS_KEY go together" >&2
    exit 1
  fi
  (
    umask 077
    printf '%s\n' "$ODOOASPIRE_TLS_CERTIFICATE" > "$dir/tls/edge.crt"
    printf '%s\n' "$ODOOASPIRE_TLS_KEY" > "$dir/tls/edge.key"
  )
fi
echo "odooaspire-edge: wrote $dir/nginx.conf (gateway $ODOOASPIRE_GATEWAY)"
