#!/usr/bin/env bash
# Makes sure a Docker engine answers: starts Debian's dockerd in the background when none runs
# (CI machines have the client only). Waits at most 60 s.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
log=${APPCTL_DOCKERD_LOG:-/tmp/appctl-dockerd.log}
echo "starting dockerd (log: $log)"
as_root sh -c "nohup dockerd >'$log' 2>&1 &"
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not answer within 60 s; its log:" >&2
tail -n 30 "$log" >&2 || true
exit 1
