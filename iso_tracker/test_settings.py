"""Settings for the test suite: production settings (DEBUG off) with test-only relaxations.

The variables below are defaults only: CI sets DATABASE_URL and REDIS_URL to the real services.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# A queue of its own, so that a local worker of the demo never takes the tests' jobs (and back).
# (a folder that does not exist yet: the settings must create it)
os.environ.setdefault("CELERY_QUEUE_DIR", os.path.join(tempfile.mkdtemp(prefix="iso-tracker-"), "queue"))

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory, unless a test starts a worker that must leave its mail where the test can read it.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# A worker started by a test is given the test's own folder (TEST_MEDIA_ROOT), to write where it reads.
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="iso-tracker-media-")
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Cookies stay Secure and __Host- as in production: Chromium keeps Secure cookies from
# http://localhost, where the browser tests' live server runs.
# Serve static files from the app folders (no collectstatic needed for the live-server tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = tempfile.mkdtemp(prefix="iso-tracker-static-")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory, so that a worker started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.mkdtemp(prefix="iso-tracker-db-")) / "test.sqlite3")}  # noqa: F405
