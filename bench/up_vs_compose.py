#!/usr/bin/env python3
"""Times `appctl up` against `docker-compose up -d` on the same services and images, cold and warm.

    python3 bench/up_vs_compose.py [--runs 3] [--no-build]

Needs a running Docker engine, Debian's docker-compose, and the air-gapped images of
images/build.sh (their tags are read from images/images.env).

What it does, in one run:

1. Builds appctl in release (`cargo build --release`) unless --no-build, and an image
   `appctl.local/gateway:bench` holding that binary on top of images.env's gateway image.
2. Makes a project with `appctl init --template ai-chat`, whose `stack:` section runs db and
   gateway from those images on free loopback ports (rest, auth, storage and functions left out,
   as there are no images for them here), and writes the same stack as a Compose file with
   `appctl render compose` (secrets in an env file beside it).
3. Per run, alternating the tools:
   - cold: everything of the project removed, volumes too (untimed), then
       appctl up                      (containers, health, and the schema applied: 60+ changes)
       docker-compose up -d + wait    (the same health wait: db's pg_isready in the container and
                                       the gateway's /health through its published port)
   - warm: the same command again with the stack already running.
4. Prints best and median of each, the ratios appctl/compose and whether the targets hold
   (cold <= 1.0x, warm <= 0.2x).

Everything it starts is removed at the end, also on error or Ctrl-C. Every wait is bounded.
Exit status: 0 when both targets hold, 1 when one does not, 3 on a setup error.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLD_TARGET = 1.0
WARM_TARGET = 0.2
TIMEOUT = 300  # seconds, any one command
HEALTH_TIMEOUT = 120  # seconds, the compose health wait


def run(cmd, *, cwd=None, env=None, check=True, timeout=TIMEOUT):
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return out


def images_env():
    tags = {}
    with open(os.path.join(ROOT, "images", "images.env")) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.strip().split("=", 1)
                tags[k] = v
    return tags


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gateway_image(appctl, base):
    ctx = tempfile.mkdtemp(prefix="appctl-gw-")
    try:
        binary = os.path.join(ctx, "appctl")
        if run(["objcopy", "--strip-debug", appctl, binary], check=False).returncode != 0:
            shutil.copy(appctl, binary)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(f"FROM {base}\nCOPY appctl /usr/local/bin/appctl\n")
        tag = "appctl.local/gateway:bench"
        run(["docker", "build", "-q", "-t", tag, ctx], env={**os.environ, "DOCKER_BUILDKIT": "0"})
        return tag
    finally:
        shutil.rmtree(ctx, ignore_errors=True)


def wait_healthy(db_container, gateway_port):
    """The health wait appctl does, done from outside for Compose: pg_isready in db, then /health."""
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        ok = subprocess.run(
            ["docker", "exec", db_container, "pg_isready", "-U", "postgres", "-d", "postgres",
             "-h", "127.0.0.1", "-p", "5432"],
            capture_output=True, timeout=30).returncode == 0
        if ok:
            break
        time.sleep(0.2)
    else:
        raise SystemExit("db did not become healthy under Compose")
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the gateway did not answer under Compose")


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()

    compose_bin = shutil.which("docker-compose")
    if not compose_bin:
        print("docker-compose is not installed (apt-get install docker-compose)", file=sys.stderr)
        return 3
    if not args.no_build:
        run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, timeout=1800)
    appctl = os.path.join(ROOT, "target", "release", "appctl")
    tags = images_env()
    gateway = gateway_image(appctl, tags["GATEWAY_IMAGE"])

    work = tempfile.mkdtemp(prefix="appctl-bench-up-")
    name = f"bench-up-{os.getpid()}"
    project = os.path.join(work, "app")
    env = {**os.environ, "NO_COLOR": "1", "CI": "true", "APPCTL_PULL": "never"}
    compose = [compose_bin, "-p", name, "-f", "compose.yaml", "--env-file", ".env.compose"]
    try:
        run([appctl, "init", "app", "--template", "ai-chat", "--name", name, "--yes"], cwd=work, env=env)
        shutil.copy(os.path.join(project, ".env.example"), os.path.join(project, ".env"))
        db_port, gw_port = free_port(), free_port()
        with open(os.path.join(project, "appctl.yaml"), "a") as f:
            f.write(
                "stack:\n"
                f"  db: {{ image: \"{tags['DB_IMAGE']}\", port: {db_port} }}\n"
                f"  gateway: {{ image: \"{gateway}\", port: {gw_port} }}\n"
                "  rest: { enabled: false }\n  auth: { enabled: false }\n"
                "  storage: { enabled: false }\n  functions: { enabled: false }\n")
        run([appctl, "render", "compose", "-o", "compose.yaml", "--env-file", ".env.compose"],
            cwd=project, env=env)
        db_container = f"appctl-{name}-db"

        def clean():
            run(compose + ["down", "-v", "--remove-orphans"], cwd=project, check=False)
            run([appctl, "down", "--volumes"], cwd=project, env=env, check=False)

        def appctl_up():
            out = run([appctl, "up", "--json"], cwd=project, env=env)
            return json.loads(out.stdout)

        def compose_up():
            run(compose + ["up", "-d"], cwd=project)
            wait_healthy(db_container, gw_port)

        results = {"appctl cold": [], "compose cold": [], "appctl warm": [], "compose warm": []}
        for i in range(args.runs):
            for tool in (["appctl", "compose"] if i % 2 == 0 else ["compose", "appctl"]):
                clean()
                if tool == "appctl":
                    results["appctl cold"].append(timed(appctl_up))
                    report = {}
                    results["appctl warm"].append(timed(lambda: report.update(appctl_up())))
                    if not report.get("containers_untouched"):
                        raise SystemExit(f"a warm appctl up touched containers: {report}")
                else:
                    results["compose cold"].append(timed(compose_up))
                    results["compose warm"].append(timed(compose_up))
        clean()

        print(f"{'':14} {'best':>8} {'median':>8}")
        for key, values in results.items():
            print(f"{key:14} {min(values):8.3f} {statistics.median(values):8.3f}")
        ok = True
        for kind, target in (("cold", COLD_TARGET), ("warm", WARM_TARGET)):
            a, c = results[f"appctl {kind}"], results[f"compose {kind}"]
            best, median = min(a) / min(c), statistics.median(a) / statistics.median(c)
            met = median <= target
            ok &= met
            print(f"{kind}: appctl/compose = {best:.3f}x best, {median:.3f}x median "
                  f"(target <= {target}x: {'met' if met else 'NOT met'})")
        return 0 if ok else 1
    finally:
        run(compose + ["down", "-v", "--remove-orphans"], cwd=project, check=False)
        run([appctl, "down", "--volumes"], cwd=project, env=env, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
