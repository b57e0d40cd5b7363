#!/usr/bin/env bash
# Starts Podman's Docker-compatible API on a socket, for the test that runs `appctl up` against it
# (issue #5: Podman's socket works). Prints the socket's DOCKER_HOST URL.
#
# Sandboxed CI machines refuse a container's rlimits at the host's hard limit (runc: "error setting
# rlimit ... operation not permitted"), which Podman asks for by default; lower defaults in
# /etc/containers/containers.conf (written only when absent) let containers start.
set -euo pipefail

socket=${APPCTL_PODMAN_SOCKET_PATH:-/tmp/appctl-podman.sock}
if [ ! -e /etc/containers/containers.conf ]; then
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n' \
    > /etc/containers/containers.conf
fi
if ! DOCKER_HOST="unix://$socket" docker version >/dev/null 2>&1; then
  rm -f "$socket"
  # From /: conmon inherits the service's working directory and refuses to start containers once
  # it is gone (a CI checkout deleted while the service lives on). Not in a `( ... & )` subshell:
  # bash then runs the service as the subshell itself and waits for it, so `$(start-podman.sh)`
  # never returns (the hang that timed out CI).
  cd /
  nohup podman system service --time=0 "unix://$socket" </dev/null >/tmp/appctl-podman.log 2>&1 &
  for _ in $(seq 1 60); do
    DOCKER_HOST="unix://$socket" docker version >/dev/null 2>&1 && break
    sleep 0.5
  done
fi
DOCKER_HOST="unix://$socket" docker version >/dev/null
echo "unix://$socket"
