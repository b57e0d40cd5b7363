#!/usr/bin/env python3
"""Drives `appctl init` on a real pseudo-terminal, as a person would: answers the name prompt and
picks the second template with the arrow keys. Usage: init_prompts.py APPCTL DIR. Exits non-zero with
the screen so far when a prompt does not come (every wait is bounded)."""
import os
import pty
import select
import sys
import time

appctl, target = sys.argv[1], sys.argv[2]
env = {k: v for k, v in os.environ.items() if k not in ("CI", "APPCTL_YES", "NO_COLOR")}
env["TERM"] = "xterm"

pid, fd = pty.fork()
if pid == 0:
    os.execve(appctl, [appctl, "init", target], env)

screen = b""


def wait_for(text: bytes, seconds: float = 20.0) -> None:
    global screen
    deadline = time.monotonic() + seconds
    while text not in screen:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit(f"timed out waiting for {text!r}; screen so far:\n{screen.decode(errors='replace')}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                sys.exit(f"appctl exited before {text!r}; screen:\n{screen.decode(errors='replace')}")
            screen += chunk


wait_for(b"Project name")
os.write(fd, b"my-chat\r")
wait_for(b"Template")
os.write(fd, b"\x1b[B")  # arrow down: the second template
time.sleep(0.3)
os.write(fd, b"\r")

deadline = time.monotonic() + 20
status = None
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            screen += os.read(fd, 4096)
        except OSError:
            pass
else:
    os.kill(pid, 9)
    sys.exit(f"appctl did not finish; screen:\n{screen.decode(errors='replace')}")
code = os.waitstatus_to_exitcode(status)
if code != 0:
    sys.exit(f"appctl exited {code}; screen:\n{screen.decode(errors='replace')}")
print(screen.decode(errors="replace"))
