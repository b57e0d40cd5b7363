# shellcheck shell=bash disable=SC2034  # sourced by build.sh, which reads the IMAGE_* variables
# gateway: the appctl binary (`appctl gateway`) on the base root filesystem.
# Sourced by images/build.sh; see docs/images.md.

image_prepare() {
    local bin=$APPCTL_BIN
    if [ -z "$bin" ]; then
        for candidate in "$REPO/target/release/appctl" "$REPO/target/debug/appctl"; do
            if [ -x "$candidate" ]; then bin=$candidate; break; fi
        done
        [ -n "$bin" ] || die "gateway: no appctl binary; build it first (cargo build --release) or pass --appctl-bin PATH"
    fi
    [ -x "$bin" ] || die "gateway: $bin is not an executable"
    APPCTL_SRC=$bin
    # `appctl --version` prints "appctl X.Y.Z".
    IMAGE_VERSION=$("$bin" --version | awk '{ print $2 }')
    [ -n "$IMAGE_VERSION" ] || die "gateway: $bin --version printed no version"
    log "gateway: appctl $IMAGE_VERSION from $bin"
    IMAGE_INPUTS=("$bin")
    IMAGE_CHANGES=(
        "ENV LANG=C.UTF-8"
        'ENTRYPOINT ["/usr/local/bin/appctl"]'
        'CMD ["gateway"]'
    )
}

image_layer() {
    local root=$1
    install -m 0755 "$APPCTL_SRC" "$root/usr/local/bin/appctl"
    check_libs "$root" /usr/local/bin/appctl || die "gateway: shared libraries missing in the root filesystem"
    chroot "$root" /usr/local/bin/appctl --version >&2
}
