"""Digitally signed PDFs (PAdES, with pyHanko): the annual report, the national report, Mẫu 19, 20 and 21.

A document is signed in one of two ways: by the app, with the certificate configured on the server (a key
on a PKCS#11 token, SIGNING_PKCS11_*, or a PKCS#12 file, SIGNING_PKCS12_FILE), or by the issuer elsewhere
(their token, a remote-signing service) and uploaded back. Either way the signed file is kept only once
`verify` finds every signature in it intact, the document unchanged since it was signed (only what PAdES
adds after a signature, such as validation data or a timestamp, may follow it) and the signer's certificate
chaining to a root of SIGNING_TRUST_ROOTS."""

from __future__ import annotations

import functools
import hashlib
import io
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from iso_tracker.bounds import year_or_404
from iso_tracker.permissions import require

from .models import Mode, ReportFile, SignedPdf

PDF_MAGIC = b"%PDF-"


class Refused(Exception):
    """The file or the signing is refused; `message` tells the user why, in their language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- The documents that can be signed -----------------------------------------------------------------


@dataclass
class Subject:
    """One document that can be signed, as `user` may see it: its kind, what it is of, its page."""

    kind: str
    title: str
    back: str
    sign_action: str
    sign_object: object = None
    province: object = None
    year: int | None = None
    plan: object = None
    inspection: object = None
    pdf_url: str = ""  # where the document is downloaded to be signed elsewhere (else: its page's versions)

    @property
    def ref(self) -> int:
        return (
            self.year
            if self.kind in (SignedPdf.Kind.ANNUAL, SignedPdf.Kind.NATIONAL)
            else (self.plan or self.inspection).pk
        )

    @property
    def code(self) -> str:
        """The code the app prints at the foot of the document's first page (pdf/_code.html)."""
        if self.kind == SignedPdf.Kind.ANNUAL:
            return f"{self.kind}/{self.province.code}/{self.year}"
        return f"{self.kind}/{self.ref}"

    def lookup(self) -> dict:
        if self.kind == SignedPdf.Kind.NATIONAL:
            return {"kind": self.kind, "year": self.year}
        if self.kind == SignedPdf.Kind.ANNUAL:
            return {"kind": self.kind, "province": self.province, "year": self.year}
        if self.kind == SignedPdf.Kind.PLAN:
            return {"kind": self.kind, "plan": self.plan}
        return {"kind": self.kind, "inspection": self.inspection}

    def signed(self):
        return SignedPdf.objects.filter(**self.lookup()).select_related("created_by")

    def unsigned_pdf(self) -> bytes:
        """The document as the app makes it now, to be signed by the server: the latest PDF version made
        of a report or a large plan (they are made on the reports queue), or a form rendered now."""
        from . import documents
        from .reports import services as report_services

        if self.kind in (SignedPdf.Kind.DECISION, SignedPdf.Kind.MINUTES):
            return documents.inspection_form_pdf(self.inspection, self.kind[-2:])[1]
        if self.kind == SignedPdf.Kind.PLAN and not report_services.plan_is_large(self.plan):
            return documents.plan_pdf(self.plan)[1]
        if self.kind == SignedPdf.Kind.PLAN:
            made = report_services.plan_file(self.plan)
        else:
            files = ReportFile.objects.filter(format=ReportFile.Format.PDF, status=ReportFile.Status.READY)
            if self.kind == SignedPdf.Kind.NATIONAL:
                made = files.filter(national_year=self.year).first()
            else:
                made = files.filter(report__province=self.province, report__year=self.year).first()
        if made is None:
            raise Refused(_("Make the PDF version first: the app signs the latest PDF version made."))
        with made.file.open("rb") as handle:
            return handle.read()


def subject(user, kind: str, ref: int) -> Subject:
    """The document `kind` of `ref` (a year; a plan's or an inspection's number) as `user` may see it:
    404 when they may not see it, whatever the kind."""
    from django.http import Http404

    from .selectors import visible_inspections, visible_plans

    if kind == SignedPdf.Kind.NATIONAL:
        require(user, "national.view")
        year_or_404(ref)
        return Subject(
            kind,
            _("National report %(year)s") % {"year": ref},
            reverse("qms:national_report", args=[ref]),
            "national.report",
            year=ref,
        )
    if kind == SignedPdf.Kind.ANNUAL:
        require(user, "province.view")
        year_or_404(ref)
        return Subject(
            kind,
            _("Annual report %(year)s") % {"year": ref},
            reverse("inspections:annual_report", args=[ref]),
            "inspections.manage",
            sign_object=user.province,
            province=user.province,
            year=ref,
        )
    if kind == SignedPdf.Kind.PLAN:
        require(user, "province.view")
        plan = get_object_or_404(visible_plans(user).select_related("province"), pk=ref)
        return Subject(
            kind,
            _("Inspection plan %(year)s (Mẫu 19)") % {"year": plan.year},
            plan.get_absolute_url(),
            "inspections.manage",
            pdf_url=reverse("inspections:plan_pdf", args=[plan.pk]),
            sign_object=plan,
            province=plan.province,
            plan=plan,
        )
    if kind in (SignedPdf.Kind.DECISION, SignedPdf.Kind.MINUTES):
        inspection = get_object_or_404(visible_inspections(user).select_related("agency", "agency__province"), pk=ref)
        if kind == SignedPdf.Kind.DECISION and inspection.mode != Mode.ONSITE:
            raise Http404
        return Subject(
            kind,
            f"{SignedPdf.Kind(kind).label} · {inspection.agency.name}",
            inspection.get_absolute_url(),
            "inspections.manage",
            pdf_url=reverse("inspections:inspection_pdf", args=[inspection.pk, kind[-2:]]),
            sign_object=inspection,
            province=inspection.agency.province,
            inspection=inspection,
        )
    raise Http404


# --- Verifying ---------------------------------------------------------------------------------------


@functools.cache
def _roots(paths: tuple[str, ...]) -> tuple:
    from pyhanko.keys import load_certs_from_pemder

    return tuple(load_certs_from_pemder(list(paths)))


def trust_roots() -> tuple:
    try:
        return _roots(tuple(settings.SIGNING_TRUST_ROOTS))
    except (OSError, ValueError) as exc:
        raise Refused(_("The trusted certification authorities configured on the server cannot be read.")) from exc


def _name(name) -> str:
    native = name.native
    return str(native.get("common_name") or native.get("organization_name") or name.human_friendly)


def verify(data: bytes) -> list[dict]:
    """Every signature of the PDF `data`, in order, once each is found sound (see the module); otherwise
    `Refused`, saying what is wrong. Nothing is fetched from the network unless SIGNING_FETCH_REVOCATION."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    if PDF_MAGIC not in data[:1024]:
        raise Refused(_("This file is not a PDF."))
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise Refused(_("This PDF cannot be read: the file is damaged.")) from exc
    if not signatures:
        raise Refused(_("This PDF carries no digital signature: sign it first, then upload the signed file."))
    roots = trust_roots()
    if not roots:
        raise Refused(
            _(
                "No trusted certification authority is configured on the server (SIGNING_TRUST_ROOTS), "
                "so no signature can be checked."
            )
        )
    context = ValidationContext(
        trust_roots=roots, allow_fetching=settings.SIGNING_FETCH_REVOCATION, revocation_mode="soft-fail"
    )
    # A civil servant's signing certificate carries digital signature, non-repudiation or both.
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    found = []
    for embedded in signatures:
        try:
            status = validate_pdf_signature(embedded, context, key_usage_settings=usage)
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
            raise Refused(_("A signature in this PDF cannot be read: the file is damaged.")) from exc
        cert = status.signing_cert
        signer, issuer = _name(cert.subject), _name(cert.issuer)
        if not (status.intact and status.valid):
            raise Refused(
                _(
                    "The document was changed after %(signer)s signed it, or the signature is damaged: "
                    "the signature no longer matches the document."
                )
                % {"signer": signer}
            )
        changed = status.modification_level is None or status.modification_level > ModificationLevel.FORM_FILLING
        if changed or not status.docmdp_ok:
            raise Refused(
                _("The document was changed after %(signer)s signed it: what they signed is not what this file shows.")
                % {"signer": signer}
            )
        if status.revoked:
            raise Refused(_("The certificate of %(signer)s has been revoked.") % {"signer": signer})
        if not status.trusted:
            raise Refused(
                _(
                    "The certificate of %(signer)s (issued by %(issuer)s) does not chain to a "
                    "certification authority this app trusts, or it was not valid when it signed."
                )
                % {"signer": signer, "issuer": issuer}
            )
        stamp = status.timestamp_validity
        if stamp is not None and not (stamp.intact and stamp.valid):
            raise Refused(
                _("The timestamp on the signature of %(signer)s is damaged: it does not match the signature.")
                % {"signer": signer}
            )
        # A timestamp from an authority chaining to a trusted root gives the signing time; otherwise the
        # time the signer's own computer wrote is shown (as the signer reported it).
        stamp = stamp if stamp is not None and stamp.trusted else None
        when: datetime | None = stamp.timestamp if stamp is not None else status.signer_reported_dt
        found.append(
            {
                "signer": signer,
                "issuer": issuer,
                "serial": format(cert.serial_number, "x"),
                "signed_at": when.isoformat() if when else None,
                "timestamped": stamp is not None,
                "field": embedded.field_name or "",
            }
        )
    return found


# --- Keeping a signed file -------------------------------------------------------------------------------


DOCUMENT_CODE = re.compile(r"ISO Tracker: ((?:annual|national|mau19|mau20|mau21)/[0-9A-Za-z/_-]+)")


def document_code(data: bytes) -> str | None:
    """The code the app printed on the first page of the PDF `data` (None: a document not made by the app,
    or made before it printed codes)."""
    try:
        text = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", "-q", "-", "-"],
            input=data,
            capture_output=True,
            timeout=60,
            check=False,
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    found = DOCUMENT_CODE.search(text)
    return found[1] if found else None


def _keep(target: Subject, data: bytes, *, source: str, actor) -> SignedPdf:
    found = verify(data)
    code = document_code(data)
    if code is not None and code != target.code:  # e.g. another inspection's minutes, signed and uploaded here
        raise Refused(
            _(
                "This signed PDF is another document of the app (its code %(found)s), not the %(title)s "
                "(code %(expected)s): upload the signed copy of this document."
            )
            % {"found": code, "title": target.title, "expected": target.code}
        )
    last = found[-1]
    item = SignedPdf(
        **{"province": target.province, **target.lookup()},
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        signer=last["signer"][:255],
        issuer=last["issuer"][:255],
        signed_at=datetime.fromisoformat(last["signed_at"]) if last["signed_at"] else None,
        signatures=found,
        created_by=actor,
    )
    item.file.save("signed.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            item.save()
    except Exception:
        item.file.delete(save=False)
        raise
    return item


def upload(target: Subject, data: bytes, *, actor) -> SignedPdf:
    """Keep `data`, a signed copy of `target` signed elsewhere, once verified."""
    require(actor, target.sign_action, target.sign_object)
    return _keep(target, data, source=SignedPdf.Source.UPLOAD, actor=actor)


def server_configured() -> bool:
    return bool(settings.SIGNING_PKCS11_MODULE or settings.SIGNING_PKCS12_FILE)


@functools.cache
def _server_signer(path: str, password: str):
    from pyhanko.sign import signers

    return signers.SimpleSigner.load_pkcs12(path, passphrase=password.encode() if password else None)


def sign_pdf(data: bytes, *, reason: str, location: str) -> bytes:
    """`data` signed (PAdES baseline B, or B-T with a timestamp authority) with the server's certificate."""
    try:
        return _sign_pdf(data, reason=reason, location=location)
    except _NoTimestamp as exc:
        raise Refused(
            _("The timestamp authority (SIGNING_TSA_URL) gave no timestamp, so nothing was signed: try again later.")
        ) from exc


def _sign_pdf(data: bytes, *, reason: str, location: str) -> bytes:
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    if not server_configured():
        raise Refused(_("No signing certificate is configured on the server."))
    meta = signers.PdfSignatureMetadata(
        field_name=f"Signature-{timezone.now():%Y%m%d%H%M%S%f}",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    if settings.SIGNING_PKCS11_MODULE:
        return _sign_on_token(data, meta)
    try:
        signer = _server_signer(settings.SIGNING_PKCS12_FILE, settings.SIGNING_PKCS12_PASSWORD)
    except (OSError, ValueError) as exc:
        signer = None
        cause = exc
    else:
        cause = None
    if signer is None:
        raise Refused(_("The server's signing certificate cannot be read (file or password).")) from cause
    return _signed(data, meta, signer)


class _NoTimestamp(Exception):
    """The timestamp authority did not give a timestamp."""


def _signed(data: bytes, meta, signer) -> bytes:
    """`data` signed by `signer`; with a signature timestamp from SIGNING_TSA_URL where one is set (PAdES
    baseline B-T: the signing time is the authority's, not the server clock's)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps import TimestampRequestError
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    timestamper = RequestsHTTPTimeStamper(settings.SIGNING_TSA_URL, timeout=15) if settings.SIGNING_TSA_URL else None
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    try:
        return signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper).getvalue()
    except (TimestampRequestError, requests.RequestException) as exc:
        raise _NoTimestamp from exc


def _sign_on_token(data: bytes, meta) -> bytes:
    """`data` signed with the key of SIGNING_PKCS11_KEY on the token SIGNING_PKCS11_TOKEN; the session is
    opened for this signature and closed after it (a token may be shared with other programs)."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    try:
        session = open_pkcs11_session(
            settings.SIGNING_PKCS11_MODULE,
            token_criteria=TokenCriteria(label=settings.SIGNING_PKCS11_TOKEN or None),
            user_pin=settings.SIGNING_PKCS11_PIN or None,
        )
    except Exception as exc:  # the module, the token or the PIN: python-pkcs11 raises many kinds
        raise Refused(_("The signing token cannot be opened (module, token label or PIN).")) from exc
    label = settings.SIGNING_PKCS11_KEY or None
    try:
        signer = PKCS11Signer(session, cert_label=label, key_label=label)
        certificate = signer.signing_cert  # read from the token once
        if certificate.public_key.algorithm == "ec":
            # Many tokens (SoftHSM, most smart cards) sign an ECDSA digest but do not hash themselves.
            signer = PKCS11Signer(session, signing_cert=certificate, key_label=label, use_raw_mechanism=True)
        return _signed(data, meta, signer)
    except _NoTimestamp:
        raise
    except Exception as exc:  # no such key or certificate, or a mechanism the token does not offer
        raise Refused(_("The key or certificate on the signing token cannot be used.")) from exc
    finally:
        session.close()


def sign_on_server(target: Subject, *, actor) -> SignedPdf:
    """Sign the document as the app makes it now with the server's certificate, verify it like any upload
    and keep it."""
    require(actor, target.sign_action, target.sign_object)
    location = target.province.name if target.province is not None else "Bộ Khoa học và Công nghệ"
    data = sign_pdf(target.unsigned_pdf(), reason=target.title, location=location)
    return _keep(target, data, source=SignedPdf.Source.SERVER, actor=actor)


def panel(kind: str, ref: int, **lookup) -> dict:
    """What a document's page shows of its signed copies (`_signed_panel.html`): the newest few, and the
    page to see them all, sign or upload one."""
    rows = SignedPdf.objects.filter(kind=kind, **lookup).select_related("created_by")[:5]
    return {
        "signed": list(rows),
        "url": reverse("inspections:signatures", args=[kind, ref]),
        "label": SignedPdf.Kind(kind).label,
    }
