"""gunicorn for ISO Tracker (used by deploy/systemd/iso-tracker-web.service and by deploy/smoke.py).

Workers: 2 × cores + 1 sync workers, one request each. Sync, not gthread, so that `timeout` is a real
limit on a request: the arbiter kills a sync worker whose request runs longer (its one thread stops
heart-beating), while a gthread worker's main loop keeps heart-beating whatever its request threads do,
so a runaway request there was never stopped. nginx in front buffers requests and responses (what
sync workers need), terminates TLS and serves the static files; gunicorn is bound to loopback only."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
# Documents are rendered by the reports worker, never in a request; a page that takes longer than this is
# stopped (its worker is killed and replaced; nginx answers 502) instead of holding a worker and its memory.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then so that a slow leak cannot grow without end.
max_requests = 2000
max_requests_jitter = 200
# nginx sets X-Forwarded-Proto; trust it from loopback only.
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
