"""Verify a signed PDF as the app does before it keeps one: `verify_signed_pdf FILE`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inspections.signatures import Refused, verify


class Command(BaseCommand):
    help = (
        "Verify the digital signatures of a PDF (intact, unchanged since signing, chained to SIGNING_TRUST_ROOTS):"
        " one line per signature and exit 0, or the reason it is refused and exit 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        try:
            found = verify(data)
        except Refused as exc:
            raise CommandError(exc.message) from None
        for number, signature in enumerate(found, start=1):
            self.stdout.write(
                f"{number}. {signature['signer']} · {signature['issuer']} · {signature['signed_at'] or '—'}"
                f" · serial {signature['serial']}"
            )
