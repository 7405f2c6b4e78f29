"""gunicorn for ISO Tracker (used by deploy/systemd/iso-tracker-web.service and by deploy/smoke.py).

Workers: 2 × cores + 1 sync workers with a few threads each; the app is I/O-bound on PostgreSQL.
Bound to loopback only: nginx in front terminates TLS and serves the static files."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
# A report is rendered by the reports worker, never in a request; 60 s is ample for any page.
timeout = 60
graceful_timeout = 30
# Recycle workers now and then so that a slow leak cannot grow without end.
max_requests = 2000
max_requests_jitter = 200
# nginx sets X-Forwarded-Proto; trust it from loopback only.
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
