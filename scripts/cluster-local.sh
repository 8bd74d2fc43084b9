#!/usr/bin/env bash
# A whole sparse-rnn cluster on one machine, for trying distributed studies out and
# for the tests: PostgreSQL (the results store), Redis (the run queue) and N workers.
#
#   scripts/cluster-local.sh services DIR      start PostgreSQL and Redis with their data
#                                              in DIR; prints `export SPARSE_RNN_PG_URL=…`
#                                              and `export SPARSE_RNN_REDIS_URL=…` lines
#                                              (eval them)
#   scripts/cluster-local.sh workers DIR N     also start N workers (their logs in DIR/)
#   scripts/cluster-local.sh stop DIR          stop everything started in DIR
#   scripts/cluster-local.sh stop-pg DIR       stop PostgreSQL only (`services` starts it again)
#   scripts/cluster-local.sh stop-redis DIR    stop Redis only (its data stays in DIR/redis)
#
# Needs Debian's postgresql and redis-server packages (apt-get install postgresql
# redis-server). PostgreSQL runs as its own system user (postgres) when this runs as
# root; Redis keeps every write (appendonly yes, appendfsync always) and never
# evicts (maxmemory-policy noeviction): the queue must not lose runs.
# Ports: PGPORT (default 55432) and REDIS_PORT (default 56379).
set -euo pipefail
cmd="${1:-}"; dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2
fi
PGPORT="${PGPORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
PGPASS="${SPARSE_RNN_PG_PASSWORD:-srnn-local-pw}"
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }

start_services() {
  [ -n "$PGBIN" ] || { echo "error: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "error: redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
  local pg="$dir/pg"
  if [ ! -f "$pg/PG_VERSION" ]; then
    mkdir -p "$pg" "$dir/pglog"; printf '%s\n' "$PGPASS" > "$dir/pgpass"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$pg" "$dir/pglog" "$dir/pgpass"; chmod 700 "$pg"; chmod 711 "$dir"; fi
    as_pg "'$PGBIN/initdb' -D '$pg' -U srnn --pwfile='$dir/pgpass' --auth=scram-sha-256 -E UTF8 >'$dir/pglog/initdb.log' 2>&1"
    rm -f "$dir/pgpass"
  fi
  if ! as_pg "'$PGBIN/pg_ctl' -D '$pg' status" >/dev/null 2>&1; then
    as_pg "'$PGBIN/pg_ctl' -D '$pg' -l '$dir/pglog/server.log' -w -o \"-p $PGPORT -k '$pg' -c listen_addresses=127.0.0.1\" start" >/dev/null
  fi
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    mkdir -p "$dir/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir/redis" --appendonly yes --appendfsync always \
      --maxmemory-policy noeviction --save '' --daemonize yes --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export SPARSE_RNN_PG_URL=postgres://srnn:$PGPASS@127.0.0.1:$PGPORT/postgres"
  echo "export SPARSE_RNN_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

case "$cmd" in
  services) start_services ;;
  workers)
    n="${3:-2}"
    eval "$(start_services)"
    root="$(cd "$(dirname "$0")/.." && pwd)"
    mkdir -p "$dir/artifacts"
    for i in $(seq "$n"); do
      mkdir -p "$dir/worker$i"
      (cd "$dir/worker$i" || exit 1
       nohup node "$root/bin/sparse-rnn.js" worker --store "$SPARSE_RNN_PG_URL" --queue "$SPARSE_RNN_REDIS_URL" \
         --artifacts "$dir/artifacts" >"$dir/worker$i.log" 2>&1 &
       echo $! >"$dir/worker$i.pid")
    done
    echo "export SPARSE_RNN_PG_URL=$SPARSE_RNN_PG_URL"
    echo "export SPARSE_RNN_REDIS_URL=$SPARSE_RNN_REDIS_URL"
    echo "# $n workers started (logs: $dir/worker*.log); now: sparse-rnn study --preset quick --store \$SPARSE_RNN_PG_URL --queue \$SPARSE_RNN_REDIS_URL --artifacts $dir/artifacts" ;;
  stop)
    # Workers first (SIGTERM: each checkpoints its run and gives it back), then the services.
    for f in "$dir"/worker*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    for f in "$dir"/worker*.pid; do
      [ -f "$f" ] || continue
      for _ in $(seq 300); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
      rm -f "$f"
    done
    [ -f "$dir/redis/redis.pid" ] && kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
    [ -n "$PGBIN" ] && [ -f "$dir/pg/PG_VERSION" ] && as_pg "'$PGBIN/pg_ctl' -D '$dir/pg' -m fast stop" >/dev/null 2>&1 || true ;;
  stop-pg) as_pg "'$PGBIN/pg_ctl' -D '$dir/pg' -m fast -w stop" >/dev/null ;;
  stop-redis)
    redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
    for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || break; sleep 0.1; done ;;
  *) echo "unknown command $cmd (services | workers | stop | stop-pg | stop-redis)" >&2; exit 2 ;;
esac
