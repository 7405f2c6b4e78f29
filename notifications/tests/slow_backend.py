"""A file-based mail backend that waits before writing each message, so a test can kill a worker while
it is in the middle of a delivery."""

import time

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    def write_message(self, message):
        time.sleep(0.7)
        super().write_message(message)
