# Sourced by postgres.sh (processes) and by the primary container's init script: one definition of
# what a primary needs so that replicas can stream from it.
#   REPLICATION_PASSWORD  password of the 'replicator' role
#   REPLICA_SLOTS         space-separated physical replication slots, one per replica

replication_settings() {
  cat <<CONF
wal_level = replica
max_wal_senders = 16
max_replication_slots = 16
hot_standby = on
hot_standby_feedback = on
wal_keep_size = 256MB
CONF
}

replication_hba() {
  echo "host replication replicator 127.0.0.1/32 scram-sha-256"
  echo "host replication replicator samenet scram-sha-256"
}

replication_sql() {
  local quoted=${REPLICATION_PASSWORD//\'/\'\'}
  echo "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$quoted';"
  for slot in ${REPLICA_SLOTS:-}; do
    echo "SELECT pg_create_physical_replication_slot('$slot');"
  done
}
