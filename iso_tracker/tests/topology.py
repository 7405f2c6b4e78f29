"""The deploy topology, for fault tests and the fault bench: a Redis server of one's own configured as the
deploy recipe configures it, and the systemd units' own commands run from this checkout and restarted as
their `Restart=` / `RestartSec=` say (what systemd does)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy/systemd"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of one's own, with the deploy recipe's settings, that can be killed and restarted."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder, self.port = folder, port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                str(ROOT / "deploy/redis/iso-tracker.conf"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
            ],
            stdout=open(self.folder / "redis.log", "a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], check=False, capture_output=True, text=True
            )
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError((self.folder / "redis.log").read_text())

    def stop(self, sig=signal.SIGTERM) -> None:
        self.process.send_signal(sig)
        self.process.wait(timeout=30)

    def crash_and_restart(self) -> None:
        time.sleep(1.2)  # the recipe flushes the append-only file every second
        self.stop(signal.SIGKILL)
        self.start()


def unit(name: str) -> dict[str, str]:
    """The [Service] settings of a deploy unit."""
    text = (UNITS / f"iso-tracker-{name}.service").read_text()
    return dict(re.findall(r"^(\w+)=(.*)$", text, re.MULTILINE))


def unit_command(name: str, data_dir: Path | None = None) -> list[str]:
    """The unit's ExecStart, run from this checkout's virtualenv instead of /opt/iso-tracker, with
    /var/lib/iso-tracker mapped onto `data_dir`."""
    line = unit(name)["ExecStart"].replace("%%", "%")
    if data_dir is not None:
        line = line.replace("/var/lib/iso-tracker", str(data_dir))
    args = shlex.split(line)
    assert args[0] == "/opt/iso-tracker/.venv/bin/celery", args
    return [sys.executable, "-m", "celery", *args[1:]]


class Supervised:
    """A unit's command, restarted as its Restart= and RestartSec= say (what systemd does)."""

    def __init__(
        self,
        name: str,
        log: Path,
        env: dict[str, str],
        extra: list[str] | None = None,
        data_dir: Path | None = None,
    ):
        settings = unit(name)
        assert settings["Restart"] in ("always", "on-failure"), settings
        self.delay = float(settings["RestartSec"])
        self.command, self.log, self.env = [*unit_command(name, data_dir), *(extra or [])], log, env
        self._started = threading.Event()
        self.starts: list[float] = []
        self.exits: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=open(self.log, "a"), stderr=subprocess.STDOUT
            )
            self.starts.append(time.monotonic())
            self._started.set()
            while self.process.poll() is None and not self._stop.is_set():
                time.sleep(0.1)
            if self._stop.is_set():
                return
            self.exits.append((time.monotonic(), self.process.returncode))
            time.sleep(self.delay)

    def __enter__(self):
        self._thread.start()
        self._started.wait(timeout=30)
        return self

    def kill(self) -> None:
        """What `systemctl kill -s KILL` does: the command and its pool processes, at once."""
        for pid in [self.process.pid, *self.children()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def children(self) -> list[int]:
        """The pool processes of the running command (what an out-of-memory kill picks)."""
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], check=False, capture_output=True, text=True)
        return [int(pid) for pid in found.stdout.split()]

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
