#!/usr/bin/env bash
# Runs the djcache runtime test suite on a fresh Debian bookworm machine (root, Python 3.10+):
# runs ruff and mypy (pinned, from PyPI), installs Redis, Memcached and PostgreSQL from apt,
# starts them on loopback on non-default ports (plus a 3-node Redis Cluster), runs pytest for
# Django 4.2 and 5.2, stops the servers. Any lint or type finding fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNTIME=$(pwd)
PY=${PYTHON:-python3}
# Free ports picked now, so two runs on one machine do not collide; each can be pinned by its
# variable. A cluster node's bus port is its port + 10000, so both must be free.
free_ports() { # count, bus offset (0: none)
  "$PY" - "$@" <<'PY'
import socket, sys
count, offset = int(sys.argv[1]), int(sys.argv[2])
held, ports = [], []
while len(ports) < count:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    held.append(s)
    if offset:
        if port + offset > 65535:
            continue
        bus = socket.socket()
        try:
            bus.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        held.append(bus)
    ports.append(port)
print(" ".join(map(str, ports)))
PY
}
REDIS_PORT=${DJCACHE_CI_REDIS_PORT:-$(free_ports 1 0)}
MEMCACHED_PORT=${DJCACHE_CI_MEMCACHED_PORT:-$(free_ports 1 0)}
read -r -a CLUSTER_PORTS <<< "${DJCACHE_CI_CLUSTER_PORTS:-$(free_ports 3 10000)}"
PG_PORT=${DJCACHE_CI_PG_PORT:-$(free_ports 1 0)}
DJANGO_VERSIONS=(${DJCACHE_CI_DJANGO:-4.2 5.2})
# mypy reads the optional imports' own types too (redis-py and the debug toolbar ship py.typed)
LINT_PACKAGES=("Django~=5.2.0" "ruff==0.17.6" "mypy==2.4.1" "django-stubs==6.1.2"
               "redis==8.2.0" "django-debug-toolbar==8.0.0")

log() { printf '[djcache ci] %s\n' "$*"; }
START=$(date +%s)

status=0

# --- lint and types (no servers needed) ---------------------------------------------------
lint_venv="$RUNTIME/.venv-lint"
[ -x "$lint_venv/bin/python" ] || "$PY" -m venv "$lint_venv" || exit 1
if "$lint_venv/bin/pip" install -q --disable-pip-version-check "${LINT_PACKAGES[@]}"; then
  log "ruff: $("$lint_venv/bin/ruff" --version)"
  "$lint_venv/bin/ruff" check djcache tests bench || { log "ruff found problems"; status=1; }
  log "mypy: $("$lint_venv/bin/mypy" --version)"
  # settings from [tool.mypy] and [tool.django-stubs] in pyproject.toml
  "$lint_venv/bin/mypy" || { log "mypy found problems"; status=1; }
else
  log "pip install failed for the lint tools"; status=1
fi

# --- packages -----------------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if ! command -v redis-server >/dev/null || ! command -v memcached >/dev/null || [ -z "$(pg_bin)" ]; then
  log "installing redis-server memcached postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq redis-server memcached postgresql >/dev/null \
    || { log "apt-get install failed"; exit 1; }
fi
PGBIN=$(pg_bin)

# --- servers ------------------------------------------------------------------------------
TMP=$(mktemp -d /tmp/djcache-ci.XXXXXX)
chmod 755 "$TMP"
cleanup() {
  log "stopping servers"
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
  for p in "${CLUSTER_PORTS[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1; done
  [ -f "$TMP/mc/memcached.pid" ] && kill "$(cat "$TMP/mc/memcached.pid")" 2>/dev/null
  [ -d "$TMP/pg/data" ] && su postgres -c "$PGBIN/pg_ctl -D $TMP/pg/data -m immediate stop" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_port() { # port
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  log "port $1 did not open"; return 1
}

log "starting redis on $REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --dir "$TMP" --logfile "$TMP/redis.log" || exit 1
wait_port "$REDIS_PORT" || exit 1

log "starting memcached on $MEMCACHED_PORT"
mkdir -p "$TMP/mc" && chown nobody "$TMP/mc"   # memcached drops to nobody before writing its pid file
memcached -d -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -u nobody -m 64 -P "$TMP/mc/memcached.pid" || exit 1
wait_port "$MEMCACHED_PORT" || exit 1

log "starting a 3-node redis cluster on ${CLUSTER_PORTS[*]}"
nodes=()
for p in "${CLUSTER_PORTS[@]}"; do
  mkdir -p "$TMP/cluster-$p"
  redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file nodes.conf \
    --cluster-node-timeout 5000 --save "" --appendonly no --daemonize yes --dir "$TMP/cluster-$p" \
    --logfile "$TMP/cluster-$p/log" || exit 1
  nodes+=("127.0.0.1:$p")
done
for p in "${CLUSTER_PORTS[@]}"; do wait_port "$p" || exit 1; done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$TMP/cluster-create.log" 2>&1 \
  || { cat "$TMP/cluster-create.log"; exit 1; }
for _ in $(seq 1 100); do
  redis-cli -p "${CLUSTER_PORTS[0]}" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
  sleep 0.1
done
redis-cli -p "${CLUSTER_PORTS[0]}" cluster info | grep -q 'cluster_state:ok' || { log "cluster not ok"; exit 1; }

log "starting postgresql ($PGBIN) on $PG_PORT"
mkdir -p "$TMP/pg" && chown postgres "$TMP/pg"
su postgres -c "$PGBIN/initdb -D $TMP/pg/data -U postgres --auth=trust -E UTF8 --no-sync" >"$TMP/initdb.log" 2>&1 \
  || { cat "$TMP/initdb.log"; exit 1; }
su postgres -c "$PGBIN/pg_ctl -D $TMP/pg/data -l $TMP/pg/log -w -o '-p $PG_PORT -c listen_addresses=127.0.0.1 -k $TMP/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off' start" >/dev/null \
  || { cat "$TMP/pg/log"; exit 1; }

export DJCACHE_TEST_REDIS="127.0.0.1:$REDIS_PORT"
export DJCACHE_TEST_MEMCACHED="127.0.0.1:$MEMCACHED_PORT"
export DJCACHE_TEST_CLUSTER="127.0.0.1:${CLUSTER_PORTS[0]}"
export DJCACHE_TEST_PG="127.0.0.1:$PG_PORT"
export DJCACHE_REQUIRE_SERVERS=1

# --- test runs ----------------------------------------------------------------------------
for dj in "${DJANGO_VERSIONS[@]}"; do
  venv="$RUNTIME/.venv-dj${dj//./}"
  log "Django $dj: preparing $venv"
  if [ ! -x "$venv/bin/python" ]; then
    "$PY" -m venv "$venv" || { status=1; continue; }
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "Django~=$dj.0" "$RUNTIME[test]" \
    || { log "pip install failed for Django $dj"; status=1; continue; }
  log "Django $dj: running pytest"
  mkdir -p "$TMP/tests-$dj"
  DJCACHE_TEST_TMP="$TMP/tests-$dj" "$venv/bin/python" -m pytest -q -p no:randomly tests
  rc=$?
  [ $rc -eq 0 ] || { log "Django $dj: pytest exited $rc"; status=1; }
  redis-cli -p "$REDIS_PORT" flushall >/dev/null 2>&1
done

log "finished in $(( $(date +%s) - START ))s with status $status"
exit $status
