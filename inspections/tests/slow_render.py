"""Imported by a test's reports worker (`-I inspections.tests.slow_render`): the PDF renderer takes a few
seconds more, so that the test can kill the render in the middle of its PDF."""

import os
import time

from inspections.reports import render

_pdf = render.RENDERERS["pdf"]


def _slow_pdf(*args, **kwargs):
    time.sleep(float(os.environ.get("SLOW_RENDER_SECONDS", "4")))
    return _pdf(*args, **kwargs)


render.RENDERERS["pdf"] = _slow_pdf
