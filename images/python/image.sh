# shellcheck shell=bash disable=SC2034  # sourced by build.sh, which reads the IMAGE_* variables
# python: a CPython runtime for functions. appctl's project file names `python-3.12`; Debian
# bookworm has 3.11 only, and no package registry reachable here carries a relocatable CPython
# 3.12 (the PyPI and npm packages that provide one download it from GitHub at install time). So:
#   1. --python-prefix PATH, or the newest $PYENV_ROOT/versions/3.12.* on the host (this
#      project's machine image has pyenv's CPython 3.12.1, built from python.org's source when the
#      image was made), copied to /usr/local;
#   2. else Debian's python3 (3.11), tagged 3.11.x: a tag never names a version it does not hold.
# Sourced by images/build.sh; see docs/images.md.

image_prepare() {
    local prefix=$PYTHON_PREFIX
    if [ "$prefix" = debian ]; then
        prefix=
    elif [ -z "$prefix" ]; then
        local root=${PYENV_ROOT:-$HOME/.pyenv}
        prefix=$(printf '%s\n' "$root"/versions/3.12.* | grep -E '/3\.12\.[0-9]+$' | sort -V | tail -1 || true)
    fi
    if [ -n "$prefix" ]; then
        [ -x "$prefix/bin/python3" ] || die "python: $prefix/bin/python3 does not exist"
        PY_SRC=$prefix
        PY_VERSION=$("$prefix/bin/python3" -S -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
        PY_MINOR=${PY_VERSION%.*}
        log "python: CPython $PY_VERSION from $prefix"
        # The interpreter, its shared library and the standard library (sizes, not names: pyenv's
        # prefix has several thousand files); what goes in is what this hash covers.
        PY_INPUT="$WORK/python-inputs"
        (cd "$prefix" && find bin/python$PY_MINOR lib/libpython$PY_MINOR.so.1.0 lib/python$PY_MINOR -type f \
            -printf '%P %s\n' 2>/dev/null | LC_ALL=C sort) >"$PY_INPUT"
        IMAGE_INPUTS=("$PY_INPUT" "$prefix/bin/python$PY_MINOR" "$prefix/lib/libpython$PY_MINOR.so.1.0")
        PY_ORIGIN="$prefix"
    else
        PY_SRC=
        IMAGE_EXTRA_PACKAGES=(python3 python3-pip)
        # The version Debian bookworm ships; checked again inside the root filesystem below.
        PY_VERSION=$(apt-cache show python3.11-minimal 2>/dev/null | sed -n 's/^Version: \([0-9.]*\).*/\1/p' | sort -V | tail -1)
        [ -n "$PY_VERSION" ] || PY_VERSION=3.11
        PY_MINOR=3.11
        if [ "$PYTHON_PREFIX" = debian ]; then
            log "python: Debian's python3 ($PY_VERSION), as --python-prefix debian asks"
        else
            log "python: no CPython 3.12 found (pass --python-prefix); building Debian's python3 ($PY_VERSION) instead, tagged $PY_VERSION"
        fi
        PY_ORIGIN="Debian bookworm python3"
    fi
    IMAGE_VERSION=$PY_VERSION
    IMAGE_CHANGES=(
        "ENV LANG=C.UTF-8"
        "ENV PYTHON_VERSION=$PY_VERSION"
        "ENV PYTHONDONTWRITEBYTECODE=1"
        "WORKDIR /app"
        # dumb-init as PID 1 forwards SIGTERM to python, which then exits.
        'ENTRYPOINT ["/usr/bin/dumb-init", "--"]'
        'CMD ["python3"]'
        "LABEL dev.appctl.image.python-origin=\"$PY_ORIGIN\""
    )
}

image_layer() {
    local root=$1
    mkdir -p "$root/app"
    if [ -n "$PY_SRC" ]; then
        local lib="lib/python$PY_MINOR"
        install -m 0755 "$PY_SRC/bin/python$PY_MINOR" "$root/usr/local/bin/python$PY_MINOR"
        install -m 0755 "$PY_SRC/lib/libpython$PY_MINOR.so.1.0" "$root/usr/local/lib/"
        [ ! -e "$PY_SRC/lib/libpython3.so" ] || install -m 0755 "$PY_SRC/lib/libpython3.so" "$root/usr/local/lib/"
        # The standard library without its test suite, IDLE, Tk, nis (deprecated; needs libnsl), the
        # static library and build files; site-packages keeps only pip (a host's site-packages may hold its own .pth hooks).
        tar -C "$PY_SRC" -cf - \
            --exclude="$lib/test" --exclude="$lib/idlelib" --exclude="$lib/tkinter" \
            --exclude="$lib/turtledemo" --exclude="$lib/lib2to3/tests" --exclude="$lib/config-*" \
            --exclude="$lib/lib-dynload/_tkinter*" --exclude="$lib/lib-dynload/nis.*" --exclude="$lib/site-packages" \
            --exclude='__pycache__/*.opt-?.pyc' \
            "$lib" | tar -C "$root/usr/local" -xf -
        mkdir -p "$root/usr/local/$lib/site-packages"
        (cd "$PY_SRC/$lib/site-packages" && tar -cf - README.txt pip pip-*.dist-info 2>/dev/null) \
            | tar -C "$root/usr/local/$lib/site-packages" -xf -
        # The interpreter finds its prefix (/usr/local) from its own path; the shared library is
        # found through ld.so.cache (build.sh runs ldconfig). pyenv's scripts carry the host's
        # path in their #! lines, so they are replaced by small ones.
        ln -sf "python$PY_MINOR" "$root/usr/local/bin/python3"
        ln -sf "python$PY_MINOR" "$root/usr/local/bin/python"
        for s in pip pip3 "pip$PY_MINOR"; do
            printf '#!/bin/sh\nexec /usr/local/bin/python%s -m pip "$@"\n' "$PY_MINOR" >"$root/usr/local/bin/$s"
            chmod 0755 "$root/usr/local/bin/$s"
        done
        chroot "$root" /sbin/ldconfig
        check_libs "$root" /usr/local/bin /usr/local/lib || die "python: shared libraries missing in the root filesystem"
    else
        ln -sf python3 "$root/usr/bin/python"
    fi
    # Every extension module a function may reasonably import must load, and the version must be
    # the one in the tag.
    local got
    got=$(chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin python3 -c '
import sys, ssl, sqlite3, ctypes, zlib, bz2, lzma, readline, uuid, json, decimal, hashlib, zoneinfo, curses, dbm, pyexpat, socket, select, asyncio, http.server
zoneinfo.ZoneInfo("Europe/Paris")
print("%d.%d.%d" % sys.version_info[:3], sys.prefix)') || die "python: the interpreter or one of its modules does not load in the root filesystem"
    log "python: in the image: $got"
    [ "${got%% *}" = "$PY_VERSION" ] || die "python: the image holds ${got%% *}, not $PY_VERSION"
}
