#!/usr/bin/env bash
# Entrypoint of appctl.local/db. Honours the environment contract of the official postgres image
# (docker-library/postgres), so a stack written for that image runs on this one unchanged:
#   POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (postgres),
#   POSTGRES_DB (= user), PGDATA (/var/lib/postgresql/data), POSTGRES_INITDB_ARGS,
#   POSTGRES_INITDB_WALDIR, POSTGRES_HOST_AUTH_METHOD (scram-sha-256), the *_FILE variants of the
#   first four, and /docker-entrypoint-initdb.d/*.sql, *.sql.gz, *.sh run once on first init.
# The server runs as the user postgres (uid 999); as root this script prepares the data directory
# and re-executes itself as postgres. Everything ends in `exec postgres`, so the server is the
# process dumb-init (PID 1) signals.
set -Eeo pipefail

# file_env VAR [DEFAULT]: VAR from the environment, or from the file named by VAR_FILE.
file_env() {
    local var=$1 file_var="${1}_FILE" def=${2:-}
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        echo >&2 "error: both $var and $file_var are set (but are exclusive)"
        exit 1
    fi
    local val=$def
    if [ -n "${!var:-}" ]; then
        val=${!var}
    elif [ -n "${!file_var:-}" ]; then
        val=$(<"${!file_var}")
    fi
    export "$var"="$val"
    unset "$file_var"
}

setup_env() {
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
    export PGDATA=${PGDATA:-/var/lib/postgresql/data}
    DATABASE_ALREADY_EXISTS=
    if [ -s "$PGDATA/PG_VERSION" ]; then
        DATABASE_ALREADY_EXISTS=true
    fi
}

verify_minimum_env() {
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        cat >&2 <<'EOE'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.
EOE
        exit 1
    fi
    if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
        echo >&2 "warning: POSTGRES_HOST_AUTH_METHOD=trust: every host may connect without a password"
    fi
}

# As root: create the directories the server needs, owned by postgres.
create_db_directories() {
    mkdir -p "$PGDATA"
    chmod 00700 "$PGDATA" || :
    mkdir -p /var/run/postgresql || :
    chmod 03777 /var/run/postgresql || :
    if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
        mkdir -p "$POSTGRES_INITDB_WALDIR"
        if [ "$(id -u)" = 0 ]; then find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres '{}' +; fi
        chmod 700 "$POSTGRES_INITDB_WALDIR"
    fi
    if [ "$(id -u)" = 0 ]; then
        find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
        find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
    fi
}

init_database_dir() {
    if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
        set -- --waldir "$POSTGRES_INITDB_WALDIR" "$@"
    fi
    # --pwfile refuses an empty file, hence the newline (an empty password means none).
    # POSTGRES_INITDB_ARGS is split by the shell, as the official image does.
    eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "$@"'
}

setup_hba_conf() {
    printf '\n%s\n' "host all all all $POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
}

process_sql() {
    local query_runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    PGHOST='' PGHOSTADDR='' "${query_runner[@]}" "$@"
}

# A server on the Unix socket only, for the init scripts; nothing outside the container sees it.
temp_server_start() {
    if [ "$1" = postgres ]; then shift; fi
    set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
    PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

temp_server_stop() {
    PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

setup_db() {
    local exists
    exists=$(process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
		SELECT 1 FROM pg_database WHERE datname = :'db' ;
	EOSQL
    )
    if [ -z "$exists" ]; then
        process_sql --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
        echo
    fi
}

process_init_files() {
    local f
    for f; do
        [ -e "$f" ] || continue
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    echo "$0: running $f"
                    "$f"
                else
                    echo "$0: sourcing $f"
                    # shellcheck source=/dev/null
                    . "$f"
                fi
                ;;
            *.sql) echo "$0: running $f"; process_sql --dbname "$POSTGRES_DB" -f "$f"; echo ;;
            *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | process_sql --dbname "$POSTGRES_DB"; echo ;;
            *.sql.xz) echo "$0: running $f"; xzcat "$f" | process_sql --dbname "$POSTGRES_DB"; echo ;;
            *.sql.zst) echo "$0: running $f"; zstd -dc "$f" | process_sql --dbname "$POSTGRES_DB"; echo ;;
            *) echo "$0: ignoring $f" ;;
        esac
        echo
    done
}

main() {
    if [ "${1:0:1}" = '-' ]; then
        set -- postgres "$@"
    fi
    if [ "$1" = postgres ]; then
        setup_env
        create_db_directories
        if [ "$(id -u)" = 0 ]; then
            exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
        fi
        if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
            verify_minimum_env
            # A clear error now, rather than an init that half ran, when the directory is unreadable.
            ls /docker-entrypoint-initdb.d/ >/dev/null
            init_database_dir
            setup_hba_conf
            export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
            temp_server_start "$@"
            setup_db
            process_init_files /docker-entrypoint-initdb.d/*
            temp_server_stop
            unset PGPASSWORD
            echo
            echo 'PostgreSQL init process complete; ready for start up.'
            echo
        else
            echo
            echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
            echo
        fi
    fi
    exec "$@"
}

main "$@"
