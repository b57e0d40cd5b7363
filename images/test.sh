#!/usr/bin/env bash
# Checks the images of images/build.sh for real, against the Docker engine: db (password auth on a
# published 127.0.0.1 port, pgvector with an HNSW index, init scripts run once, data kept across a
# restart, fast shutdown on SIGTERM, uid 999, the missing-password error), node-20 and python (an
# HTTP server on $PORT answering through a published port; SIGTERM stops it), gateway
# (`appctl --version`).
#
#   images/test.sh [--no-build] [build.sh options...]
#
# Builds missing images first (build.sh skips those present). Everything it starts carries the
# label dev.appctl.test=<run id> and is removed at exit, on failure too. Talks only to 127.0.0.1.
# Ends with the line "N passed, N failed"; exits 1 when anything failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=1
if [ "${1:-}" = --no-build ]; then BUILD=0; shift; fi
if [ "$BUILD" = 1 ]; then
    "$HERE/build.sh" "$@" || { echo "images/test.sh: build failed"; echo "0 passed, 1 failed"; exit 1; }
fi
ENV_FILE=${APPCTL_IMAGES_ENV:-$HERE/images.env}
# shellcheck source=/dev/null
. "$ENV_FILE"
for var in DB_IMAGE GATEWAY_IMAGE NODE_20_IMAGE PYTHON_IMAGE; do
    if [ -z "${!var:-}" ] || ! docker image inspect "${!var}" >/dev/null 2>&1; then
        echo "images/test.sh: $var (${!var:-not in $ENV_FILE}) is not built; run images/build.sh"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

PSQL=${PSQL:-$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)}
[ -x "$PSQL" ] || { echo "images/test.sh: psql is needed on the host (Debian: apt-get install postgresql-client)"; exit 1; }

RUN_ID="imgtest-$$-$(date +%s)"
LABEL="dev.appctl.test=$RUN_ID"
TMP=$(mktemp -d)
PASSED=0
FAILED=0
BG_PIDS=()

cleanup() {
    local ids
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    ids=$(docker ps -aq --filter "label=$LABEL")
    [ -z "$ids" ] || docker rm -f -v $ids >/dev/null 2>&1
    ids=$(docker volume ls -q --filter "label=$LABEL")
    [ -z "$ids" ] || docker volume rm $ids >/dev/null 2>&1
    ids=$(docker network ls -q --filter "label=$LABEL")
    [ -z "$ids" ] || docker network rm $ids >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# expect DESCRIPTION WANT GOT
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: want '$2', got '$3'"; fi; }

host_port() { docker port "$1" "$2/tcp" | grep -m1 '^127\.0\.0\.1:' | cut -d: -f2; }

# wait_until SECONDS COMMAND...: retries COMMAND every 0.2s, at most SECONDS.
wait_until() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

health() { docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null; }
is_healthy() { [ "$(health "$1")" = healthy ]; }
is_stopped() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = false ]; }
dump_logs() { echo "--- last log lines of $1:"; docker logs --tail 30 "$1" 2>&1 | sed 's/^/    /'; }

# ------------------------------------------------------------------------------------------------
echo "# db: $DB_IMAGE"
DB=appctl-$RUN_ID-db
DBVOL=appctl-$RUN_ID-db-data
PW='s3cret pw'
mkdir -p "$TMP/initdb"
cat >"$TMP/initdb/10-schema.sql" <<'EOF'
CREATE TABLE init_runs (source text, at timestamptz DEFAULT now());
INSERT INTO init_runs (source) VALUES ('sql');
EOF
cat >"$TMP/initdb/20-more.sh" <<'EOF'
#!/bin/sh
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c "INSERT INTO init_runs (source) VALUES ('sh')"
EOF
chmod 0755 "$TMP/initdb/20-more.sh"
echo "INSERT INTO init_runs (source) VALUES ('gz');" | gzip >"$TMP/initdb/30-data.sql.gz"
echo "INSERT INTO init_runs (source) VALUES ('zst');" | zstd -q >"$TMP/initdb/40-data.sql.zst"
echo "this file is not a script" >"$TMP/initdb/50-notes.txt"
chmod 0644 "$TMP/initdb"/*.gz "$TMP/initdb"/*.zst "$TMP/initdb"/*.txt
chmod 0755 "$TMP/initdb"

docker volume create --label "$LABEL" "$DBVOL" >/dev/null
docker run -d --name "$DB" --label "$LABEL" \
    -e POSTGRES_PASSWORD="$PW" -e POSTGRES_USER=app -e POSTGRES_DB=appdb \
    -v "$DBVOL:/var/lib/postgresql/data" -v "$TMP/initdb:/docker-entrypoint-initdb.d:ro" \
    -p 127.0.0.1::5432 "$DB_IMAGE" >/dev/null
if wait_until 90 is_healthy "$DB"; then pass "db becomes healthy (pg_isready health check) within 90s"; else fail "db healthy within 90s (health: $(health "$DB"))"; dump_logs "$DB"; fi
DBPORT=$(host_port "$DB" 5432)
sql() { PGPASSWORD=$PW PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -h 127.0.0.1 -p "$DBPORT" -U app -d appdb -v ON_ERROR_STOP=1 -At "$@"; }

expect "connects from the host on 127.0.0.1:$DBPORT as POSTGRES_USER to POSTGRES_DB with POSTGRES_PASSWORD" \
    "app|appdb" "$(sql -c 'select current_user, current_database()' 2>&1)"
expect "server is PostgreSQL 18" "18" "$(sql -c 'show server_version_num' 2>&1 | cut -c1-2)"
check "a wrong password is refused (scram-sha-256 for remote hosts)" \
    bash -c "! PGPASSWORD=wrong PGCONNECT_TIMEOUT=5 '$PSQL' -X -h 127.0.0.1 -p $DBPORT -U app -d appdb -c 'select 1' >/dev/null 2>&1"
expect "password_encryption is scram-sha-256" "scram-sha-256" "$(sql -c 'show password_encryption' 2>&1)"
VECTOR=$(sql 2>&1 <<'EOF'
CREATE EXTENSION vector;
CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3));
INSERT INTO items (embedding) VALUES ('[1,0,0]'), ('[0,1,0]'), ('[0,0,1]'), ('[0.9,0.1,0]');
CREATE INDEX items_embedding_hnsw ON items USING hnsw (embedding vector_cosine_ops);
SET enable_seqscan = off;
SELECT string_agg(id::text, ',' ORDER BY embedding <=> '[1,0,0]') FROM (SELECT id, embedding FROM items ORDER BY embedding <=> '[1,0,0]' LIMIT 2) t;
EOF
)
expect "CREATE EXTENSION vector, an HNSW index, and a nearest-neighbour query" "1,4" "$VECTOR"
PLAN=$(sql -c "SET enable_seqscan = off" -c "EXPLAIN SELECT id FROM items ORDER BY embedding <=> '[1,0,0]' LIMIT 2" 2>&1)
check "the query plan uses the HNSW index" grep -q items_embedding_hnsw <<<"$PLAN"
expect "pgvector version matches the tag" "${DB_IMAGE##*pgvector}" "$(sql -c "select extversion from pg_extension where extname = 'vector'" 2>&1)"
expect "the initdb.d .sql, .sh, .sql.gz and .sql.zst scripts ran once each, in name order" "sql,sh,gz,zst" \
    "$(sql -c "select string_agg(source, ',' order by at, ctid) from init_runs" 2>&1)"
expect "the server runs as uid 999 (postgres)" "999" \
    "$(docker exec "$DB" sh -c 'stat -c %u /proc/$(head -1 "$PGDATA/postmaster.pid")' 2>&1)"
expect "PGDATA is /var/lib/postgresql/data" "/var/lib/postgresql/data" "$(sql -c 'show data_directory' 2>&1)"
check "pg_isready inside the image" docker exec "$DB" pg_isready -q -h 127.0.0.1 -p 5432
check "an initdb.d file that is no script is ignored, and logged so" \
    bash -c "docker logs '$DB' 2>&1 | grep -q 'ignoring /docker-entrypoint-initdb.d/50-notes.txt'"

sql -c "create table survives (v text); insert into survives values ('kept')" >/dev/null 2>&1
docker restart -t 20 "$DB" >/dev/null
if wait_until 60 is_healthy "$DB"; then pass "db is healthy again after docker restart"; else fail "db healthy after restart"; dump_logs "$DB"; fi
DBPORT=$(host_port "$DB" 5432)
wait_until 20 sql -c 'select 1'
expect "data survives docker restart" "kept" "$(sql -c 'select v from survives' 2>&1)"
expect "the second start skipped init (init scripts did not run again)" "4" "$(sql -c 'select count(*) from init_runs' 2>&1)"
check "the second start logged 'Skipping initialization'" bash -c "docker logs '$DB' 2>&1 | grep -q 'Skipping initialization'"

# A client holds a session open: SIGTERM must still stop the server promptly (fast shutdown, which
# disconnects clients; a smart shutdown would wait for it).
PGPASSWORD=$PW "$PSQL" -X -h 127.0.0.1 -p "$DBPORT" -U app -d appdb -c 'select pg_sleep(120)' >/dev/null 2>&1 &
BG_PIDS+=($!)
wait_until 10 bash -c "[ \"\$(PGPASSWORD='$PW' '$PSQL' -X -At -h 127.0.0.1 -p $DBPORT -U app -d appdb -c \"select count(*) from pg_stat_activity where query like 'select pg_sleep%'\")\" = 1 ]"
T0=$(date +%s.%N)
docker kill -s TERM "$DB" >/dev/null
if wait_until 15 is_stopped "$DB"; then
    T=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    check "SIGTERM stops the db within 10s with a client connected (took ${T}s)" awk -v t="$T" 'BEGIN { exit !(t < 10) }'
    expect "the db exits 0 after SIGTERM" "0" "$(docker inspect -f '{{.State.ExitCode}}' "$DB")"
    check "the shutdown was a fast shutdown" bash -c "docker logs '$DB' 2>&1 | grep -q 'fast shutdown request'"
else
    fail "SIGTERM stops the db within 15s"
    dump_logs "$DB"
fi

DBNOPW=appctl-$RUN_ID-db-nopw
docker run -d --name "$DBNOPW" --label "$LABEL" "$DB_IMAGE" >/dev/null
if wait_until 30 is_stopped "$DBNOPW"; then
    expect "without POSTGRES_PASSWORD the container exits 1" "1" "$(docker inspect -f '{{.State.ExitCode}}' "$DBNOPW")"
    check "... saying POSTGRES_PASSWORD is needed" bash -c "docker logs '$DBNOPW' 2>&1 | grep -q 'You must specify POSTGRES_PASSWORD'"
else
    fail "without POSTGRES_PASSWORD the container exits"
fi

DBTRUST=appctl-$RUN_ID-db-trust
docker run -d --name "$DBTRUST" --label "$LABEL" -e POSTGRES_HOST_AUTH_METHOD=trust \
    -e POSTGRES_INITDB_ARGS='--data-checksums --encoding=UTF8' -p 127.0.0.1::5432 "$DB_IMAGE" >/dev/null
if wait_until 90 is_healthy "$DBTRUST"; then
    TPORT=$(host_port "$DBTRUST" 5432)
    expect "POSTGRES_HOST_AUTH_METHOD=trust: no password; POSTGRES_INITDB_ARGS applied (checksums)" "on" \
        "$(PGCONNECT_TIMEOUT=5 "$PSQL" -X -At -h 127.0.0.1 -p "$TPORT" -U postgres -d postgres -c 'show data_checksums' 2>&1)"
else
    fail "db with POSTGRES_HOST_AUTH_METHOD=trust becomes healthy"
    dump_logs "$DBTRUST"
fi

# ------------------------------------------------------------------------------------------------
# runtime_test NAME IMAGE WANT CMD...: the image serves HTTP on $PORT from the function's code in
# /app, reachable from the host; SIGTERM (docker stop) ends it quickly.
runtime_test() {
    local name=$1 image=$2 want=$3; shift 3
    local c=appctl-$RUN_ID-$name port body t0 t
    echo "# $name: $image"
    docker run -d --name "$c" --label "$LABEL" -e PORT=8080 -v "$TMP/fn-$name:/app:ro" \
        -p 127.0.0.1::8080 "$image" "$@" >/dev/null
    port=$(host_port "$c" 8080)
    if wait_until 30 curl -fsS --max-time 2 "http://127.0.0.1:$port/"; then
        body=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/hello")
        expect "$name answers on \$PORT through a published 127.0.0.1 port" "$want /hello" "$body"
    else
        fail "$name answers on \$PORT within 30s"
        dump_logs "$c"
    fi
    t0=$(date +%s.%N)
    docker stop -t 10 "$c" >/dev/null
    t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    check "$name stops on SIGTERM within 5s (took ${t}s)" awk -v t="$t" 'BEGIN { exit !(t < 5) }'
}

NODE_VERSION=${NODE_20_IMAGE##*:}
mkdir -p "$TMP/fn-node"
cat >"$TMP/fn-node/index.js" <<'EOF'
const http = require("http");
http.createServer((req, res) => res.end(`node ${process.version} ${req.url}`)).listen(Number(process.env.PORT), "0.0.0.0");
EOF
runtime_test node "$NODE_20_IMAGE" "node v$NODE_VERSION" node index.js

PY_VERSION=${PYTHON_IMAGE##*:}
mkdir -p "$TMP/fn-python"
cat >"$TMP/fn-python/main.py" <<'EOF'
import http.server, os, platform

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"python {platform.python_version()} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
EOF
runtime_test python "$PYTHON_IMAGE" "python $PY_VERSION" python3 main.py
expect "python: pip runs" "0" "$(docker run --rm --label "$LABEL" "$PYTHON_IMAGE" pip --version >/dev/null 2>&1; echo $?)"
check "python: TLS trust store present (ssl default context loads CA certificates)" \
    docker run --rm --label "$LABEL" "$PYTHON_IMAGE" python3 -c 'import ssl,sys; sys.exit(not ssl.create_default_context().get_ca_certs() and not __import__("os").path.exists("/etc/ssl/certs/ca-certificates.crt"))'

# ------------------------------------------------------------------------------------------------
echo "# gateway: $GATEWAY_IMAGE"
expect "gateway image runs appctl --version" "appctl ${GATEWAY_IMAGE##*:}" \
    "$(docker run --rm --label "$LABEL" "$GATEWAY_IMAGE" --version 2>&1)"
expect "gateway image's default command is gateway" '["/usr/local/bin/appctl"] ["gateway"]' \
    "$(docker image inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$GATEWAY_IMAGE")"

echo
echo "images: $PASSED passed, $FAILED failed"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
