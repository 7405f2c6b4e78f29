"""The settings refuse to start an unsafe production configuration, and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(env_overrides: dict[str, str], *args: str, drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """manage.py in a child process with production settings; `drop` removes more variables."""
    removed = ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE", *drop)
    env = {k: v for k, v in os.environ.items() if k not in removed}
    env.update({"DJANGO_SETTINGS_MODULE": "iso_tracker.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _run({"DEBUG": "false", "ALLOWED_HOSTS": "iso.example.gov.vn"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_refuses_to_start_without_allowed_hosts_when_debug_is_off():
    result = _run({"DEBUG": "false", "SECRET_KEY": "x" * 60}, "check")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_a_boolean_that_is_neither_true_nor_false_is_an_error():
    result = _run({"DEBUG": "maybe"}, "check")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_production_settings_pass_the_deploy_checks():
    secret = "k3y-" + "9f8e7d6c5b4a3928171605f4e3d2c1b0aa99887766554433221100ffeeddccbbaa"
    result = _run(
        {"DEBUG": "false", "SECRET_KEY": secret, "ALLOWED_HOSTS": "iso.example.gov.vn"},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_run_needs_no_secret():
    result = _run({"DEBUG": "true"}, "check")
    assert result.returncode == 0, result.stderr


def test_every_setting_variable_is_documented():
    import re

    source = (ROOT / "iso_tracker/settings.py").read_text() + (ROOT / "iso_tracker/celery.py").read_text()
    names = set(re.findall(r'(?:os\.environ\.get|env_bool|env_int|env_list|_cron)\(\s*"([A-Z_]+)"', source))
    names |= {"DATABASE_URL"}  # read by dj-database-url
    example = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    readme = (ROOT / "README.md").read_text()
    assert names <= example, names - example
    assert all(f"`{name}`" in readme for name in names), [n for n in names if f"`{n}`" not in readme]
