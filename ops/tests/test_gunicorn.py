"""The deployed gunicorn configuration (deploy/gunicorn.conf.py) puts a real limit on a request: a
runaway one is stopped at `timeout` and its worker replaced, while the other workers keep answering."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from iso_tracker.tests.topology import free_port

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str, timeout: float) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http on loopback, built here
        return response.read().decode()


def test_a_runaway_request_is_stopped_at_the_timeout_and_its_worker_replaced():
    port = free_port()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_TIMEOUT": "3"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy/gunicorn.conf.py"), "slow_wsgi:application"],
        cwd=Path(__file__).parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                _get(f"http://127.0.0.1:{port}/pid", 1)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        started = time.monotonic()
        try:
            _get(f"http://127.0.0.1:{port}/slow", 30)
            answered = True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            answered = False
        took = time.monotonic() - started
        assert not answered and took < 15, f"the runaway request ran {took:.1f} s (timeout 3 s)"
        assert _get(f"http://127.0.0.1:{port}/pid", 5).isdigit()  # the others (and the replacement) answer
    finally:
        server.terminate()
        _out, errors = server.communicate(timeout=30)
    assert "WORKER TIMEOUT" in errors, errors[-2000:]
