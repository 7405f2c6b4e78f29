"""A WSGI app for the gunicorn test: /slow runs for a minute (a runaway request), /pid says which worker."""

import os
import time


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/slow":
        time.sleep(60)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
