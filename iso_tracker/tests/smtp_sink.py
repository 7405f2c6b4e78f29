"""A real SMTP server for fault tests and the fault bench: it records every message it accepts (with its
Message-ID) and can take its time over each one, like a slow relay. Enough of RFC 5321 for Django's SMTP
backend and smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.

    with SmtpSink(delay=0.7) as sink:          # sink.port, sink.messages, sink.message_ids()
        ...
"""

from __future__ import annotations

import email
import socketserver
import threading
import time
from collections import Counter


class _Handler(socketserver.StreamRequestHandler):
    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        try:
            self._converse(self.server.sink)  # type: ignore[attr-defined]
        except (ConnectionError, TimeoutError):
            pass  # the client went away (killed in the middle): nothing was accepted from it

    def _converse(self, sink: SmtpSink) -> None:
        self._reply("220 sink ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self._reply("250-sink")
                self._reply("250 8BITMIME")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n"):
                    if not line:
                        return  # the client went away in the middle: no message
                    lines.append(line[1:] if line.startswith(b"..") else line)
                time.sleep(sink.delay)  # the relay takes its time before it answers
                sink.accept(b"".join(lines))
                self._reply("250 OK queued")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    def __init__(self, delay: float = 0.0, host: str = "127.0.0.1", port: int = 0):
        self.delay = delay
        self.messages: list[email.message.Message] = []
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler)
        self._server.sink = self  # type: ignore[attr-defined]
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def accept(self, data: bytes) -> None:
        with self._lock:
            self.messages.append(email.message_from_bytes(data))

    def message_ids(self) -> Counter:
        """How many times each Message-ID arrived."""
        with self._lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def env(self) -> dict[str, str]:
        """Settings for a child process (worker, command) to send through this sink."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
        }

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
