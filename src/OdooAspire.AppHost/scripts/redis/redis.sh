#!/usr/bin/env bash
# Runs the session store's redis-server in the foreground for the AppHost's process runtime.
# The password goes into a config file readable only by this user, never onto the command line.
# Environment: REDIS_SERVER REDIS_PORT REDIS_PASSWORD REDIS_DIR
# Arguments: further redis-server options (the memory limit), the same the AppHost gives the container.
set -euo pipefail
exec 2>&1
mkdir -p "$REDIS_DIR"
conf="$REDIS_DIR/redis.conf"
(
  umask 077
  cat > "$conf" <<CONF
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
requirepass ${REDIS_PASSWORD}
dir $REDIS_DIR
appendonly yes
appendfsync everysec
save ""
logfile ""
CONF
)
exec "$REDIS_SERVER" "$conf" "$@"
