"""Real Celery workers for the integration tests, on the broker the settings name (Redis in CI, the
embedded file-system queue otherwise), reading the test database."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database as a URL, for a worker process to use."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a process (worker, command) reading the test database and writing to the test's
    media folder; `redis_url`: its broker (default the configured one); `extra` adds variables."""
    from django.conf import settings

    return {
        **os.environ,
        "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **({"REDIS_URL": redis_url} if redis_url else {}),
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "iso_tracker.test_settings",
        **extra,
    }


def start_worker(log: Path, name: str = "worker", **env: str) -> subprocess.Popen:
    """A solo worker of both queues, its output in `log`; `env` adds variables (e.g. a mail backend)."""
    environment = worker_env(**env)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "iso_tracker",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            "celery,reports",
            "-n",
            f"{name}@%h",
        ],
        cwd=ROOT,
        env=environment,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
