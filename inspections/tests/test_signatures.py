"""Issue 18: digitally signed PDFs (PAdES). The annual report, the national report and Mẫu 19/20/21 are
signed with the server's certificate, or signed elsewhere and uploaded back; every signed file is verified
(intact, unchanged since signing, signer and time, chained to a configured root) before it is kept and
shown beside its document, and a tampered or untrusted one is refused with a clear message. The
certificates are made by a throw-away CA for the session."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.test import Client
from django.urls import reverse

from agencies.models import Province, User
from agencies.tests.factories import make_user
from inspections.models import Inspection, InspectionPlan, ReportFile, SignedPdf
from inspections.reports import services as report_services

pytestmark = pytest.mark.django_db
PASSWORD = "mat-khau-chung-thu"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    usage = x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
    )
    if subject.startswith("Dịch vụ cấp dấu thời gian"):  # a timestamp authority's certificate (RFC 3161)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _authority(folder, name: str, signers: dict[str, str]) -> dict:
    """A root CA called `name` (its PEM in `folder`) and, for each file name → common name in `signers`,
    a signing certificate it issued, as a PKCS#12 file protected by PASSWORD."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(name, root_key, name, root_key, ca=True)
    made = {"root": folder / f"{name}.pem"}
    made["root"].write_bytes(root.public_bytes(serialization.Encoding.PEM))
    for file_name, common_name in signers.items():
        # (pyHanko's test timestamp authority signs with RSA only)
        key = rsa.generate_private_key(65537, 2048) if file_name == "tsa" else ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(common_name, key, name, root_key, ca=False)
        made[file_name] = folder / f"{name}-{file_name}.p12"
        made[file_name].write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"signer", key, cert, [root], serialization.BestAvailableEncryption(PASSWORD.encode())
            )
        )
    return made


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    trusted = _authority(
        folder,
        "CA thử nghiệm chuyên dùng Chính phủ",
        {
            "server": "Sở Khoa học và Công nghệ tỉnh Cao Bằng",
            "person": "Nông Văn Hùng",
            "token": "Giám đốc Sở Khoa học và Công nghệ",
            "tsa": "Dịch vụ cấp dấu thời gian thử nghiệm",
        },
    )
    rogue = _authority(folder, "CA tự phát", {"person": "Người giả mạo"})
    return {"trusted": trusted, "rogue": rogue}


@pytest.fixture
def signing(settings, pki):
    settings.SIGNING_TRUST_ROOTS = [str(pki["trusted"]["root"])]
    settings.SIGNING_PKCS12_FILE = str(pki["trusted"]["server"])
    settings.SIGNING_PKCS12_PASSWORD = PASSWORD
    return pki


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    return client


def sign_elsewhere(data: bytes, p12) -> bytes:
    """What a signing tool outside the app does (a token's software, a remote-signing service)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSWORD.encode())
    meta = signers.PdfSignatureMetadata(field_name="ChuKy", subfilter=SigSeedSubFilter.PADES, reason="Phê duyệt")
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data), strict=False), meta, signer=signer).getvalue()


def _stamped_after_signing(signed: bytes) -> bytes:
    """The signed file with text added to its first page in a later revision: the look of the document
    changed after it was signed, though the signed bytes are untouched."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.stamp import TextStamp, TextStampStyle

    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    TextStamp(writer, style=TextStampStyle(stamp_text="Kết luận: Đạt")).apply(0, 100, 100)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _upload(client: Client, url: str, data: bytes, name: str = "da-ky.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def _text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _download(client: Client, item: SignedPdf) -> bytes:
    response = client.get(reverse("inspections:signed_pdf", args=[item.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _onsite() -> Inspection:
    return Inspection.objects.filter(mode="onsite", agency__province__code="04").select_related("agency").first()


def test_dost_signs_the_minutes_with_the_server_s_certificate_and_it_shows_beside_them(demo, signing):
    from pyhanko.pdf_utils.reader import PdfFileReader

    inspection = _onsite()
    dost = _client("dost")
    url = reverse("inspections:signatures", args=["mau21", inspection.pk])
    page = dost.get(url).content.decode()
    assert 'data-testid="sign-server"' in page and "Chưa có bản ký số nào." in page
    assert reverse("inspections:inspection_pdf", args=[inspection.pk, "21"]) in page  # to sign elsewhere
    response = dost.post(url, {"server": "1"})
    assert response.status_code == 302
    item = SignedPdf.objects.get(inspection=inspection, kind="mau21")
    assert item.source == "server" and item.created_by.username == "dost"
    assert item.signer == "Sở Khoa học và Công nghệ tỉnh Cao Bằng"
    assert item.issuer == "CA thử nghiệm chuyên dùng Chính phủ" and item.signed_at is not None

    data = _download(dost, item)
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert "BIÊN BẢN KIỂM TRA" in _text(data).upper()
    detail = dost.get(inspection.get_absolute_url()).content.decode()
    assert "Sở Khoa học và Công nghệ tỉnh Cao Bằng" in detail and "Chữ ký hợp lệ" in detail

    # the agency's secretary sees and downloads it; they do not sign
    secretary = Client()
    secretary.force_login(make_user("tk-kiem-tra", User.Role.SECRETARY, agency=inspection.agency))
    assert "Sở Khoa học và Công nghệ tỉnh Cao Bằng" in secretary.get(url).content.decode()
    assert _download(secretary, item) == data
    assert secretary.post(url, {"server": "1"}).status_code == 403
    assert SignedPdf.objects.count() == 1


def test_a_plan_signed_elsewhere_is_verified_and_kept_with_its_signer(demo, signing):
    plan = InspectionPlan.objects.filter(province__code="04").first()
    dost = _client("dost")
    unsigned = dost.get(reverse("inspections:plan_pdf", args=[plan.pk])).content
    signed = sign_elsewhere(unsigned, signing["trusted"]["person"])
    url = reverse("inspections:signatures", args=["mau19", plan.pk])
    assert _upload(dost, url, signed).status_code == 302
    item = SignedPdf.objects.get(plan=plan)
    assert (item.source, item.signer) == ("upload", "Nông Văn Hùng")
    assert item.signatures[0]["issuer"] == "CA thử nghiệm chuyên dùng Chính phủ"
    assert _download(dost, item) == signed
    page = dost.get(plan.get_absolute_url()).content.decode()
    assert "Nông Văn Hùng" in page and "Ký nơi khác rồi tải lên" in page


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        ("flip", "đã bị sửa sau khi Nông Văn Hùng ký"),
        ("stamp", "đã bị sửa sau khi Nông Văn Hùng ký"),
        ("rogue", "không thuộc tổ chức chứng thực"),
        ("unsigned", "chưa có chữ ký số"),
        ("text", "không phải PDF"),
    ],
)
def test_a_tampered_untrusted_or_unsigned_file_is_refused_with_a_clear_message(demo, signing, spoil, message):
    inspection = _onsite()
    dost = _client("dost")
    unsigned = dost.get(reverse("inspections:inspection_pdf", args=[inspection.pk, "20"])).content
    signed = sign_elsewhere(unsigned, signing["trusted"]["person"])
    if spoil == "flip":  # one byte of the page's content changed inside the signed range
        at = signed.index(b"stream") + 40
        data = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1 :]
    elif spoil == "stamp":
        data = _stamped_after_signing(signed)
    elif spoil == "rogue":
        data = sign_elsewhere(unsigned, signing["rogue"]["person"])
    elif spoil == "unsigned":
        data = unsigned
    else:
        data = "Biên bản kiểm tra".encode()
    url = reverse("inspections:signatures", args=["mau20", inspection.pk])
    response = _upload(dost, url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SignedPdf.objects.exists()
    assert dost.get(url).status_code == 200


def test_english_users_read_the_refusal_in_english(demo, signing):
    inspection = _onsite()
    dost = _client("dost")
    unsigned = dost.get(reverse("inspections:inspection_pdf", args=[inspection.pk, "21"])).content
    dost.cookies["django_language"] = "en"
    response = _upload(
        dost,
        reverse("inspections:signatures", args=["mau21", inspection.pk]),
        sign_elsewhere(unsigned, signing["rogue"]["person"]),
    )
    assert response.status_code == 400
    assert "The certificate of Người giả mạo (issued by CA tự phát) does not chain" in response.content.decode()


def test_the_annual_report_s_latest_pdf_version_is_signed_and_others_cannot_reach_it(demo, signing):
    dost = _client("dost")
    url = reverse("inspections:signatures", args=["annual", 2019])
    response = dost.post(url, {"server": "1"})
    assert response.status_code == 400 and "Hãy tạo bản PDF trước" in response.content.decode()

    report = report_services.report_for(province=Province.objects.get(code="04"), year=2019)
    made = report_services.generate(report=report, kind="pdf", actor=User.objects.get(username="dost"))
    report_services.render_file(made.pk)
    made.refresh_from_db()
    assert made.status == ReportFile.Status.READY
    assert dost.post(url, {"server": "1"}).status_code == 302
    item = SignedPdf.objects.get(kind="annual", year=2019)
    with made.file.open("rb") as handle:
        assert _download(dost, item).startswith(handle.read()), "an incremental signature: the version, then it"
    assert "Sở Khoa học và Công nghệ tỉnh Cao Bằng" in dost.get(report.get_absolute_url()).content.decode()

    leader = _client("lanhdao")
    assert _download(leader, item)
    assert leader.post(url, {"server": "1"}).status_code == 403
    assert 'data-testid="sign-server"' not in leader.get(url).content.decode()
    foreign = Client()
    foreign.force_login(make_user("dost-bac-kan", User.Role.DOST, province=Province.objects.create(code="06")))
    assert foreign.get(reverse("inspections:signed_pdf", args=[item.pk])).status_code == 404
    secretary = _client("tk.skhcn")
    assert secretary.get(reverse("inspections:signed_pdf", args=[item.pk])).status_code in (403, 404)
    assert secretary.get(url).status_code in (403, 404)


def test_another_agency_s_secretary_cannot_reach_a_signed_form(demo, signing):
    inspection = Inspection.objects.exclude(agency__code="SKHCN").filter(agency__province__code="04").first()
    dost = _client("dost")
    signed = sign_elsewhere(
        dost.get(reverse("inspections:inspection_pdf", args=[inspection.pk, "21"])).content,
        signing["trusted"]["person"],
    )
    url = reverse("inspections:signatures", args=["mau21", inspection.pk])
    assert _upload(dost, url, signed).status_code == 302
    item = SignedPdf.objects.get()
    other = _client("tk.skhcn")
    assert other.get(url).status_code == 404
    assert other.get(reverse("inspections:signed_pdf", args=[item.pk])).status_code == 404
    assert _upload(other, url, signed).status_code == 404
    assert SignedPdf.objects.count() == 1


def test_without_a_server_certificate_documents_are_only_uploaded(demo, signing, settings):
    settings.SIGNING_PKCS12_FILE = ""
    inspection = _onsite()
    dost = _client("dost")
    url = reverse("inspections:signatures", args=["mau21", inspection.pk])
    page = dost.get(url).content.decode()
    assert 'data-testid="sign-server"' not in page and 'data-testid="upload-signed"' in page
    response = dost.post(url, {"server": "1"})
    assert response.status_code == 400 and "Máy chủ chưa được cài chứng thư số để ký" in response.content.decode()
    settings.SIGNING_TRUST_ROOTS = []
    signed = sign_elsewhere(
        dost.get(reverse("inspections:inspection_pdf", args=[inspection.pk, "21"])).content,
        signing["trusted"]["person"],
    )
    response = _upload(dost, url, signed)
    assert response.status_code == 400 and "SIGNING_TRUST_ROOTS" in response.content.decode()
    assert not SignedPdf.objects.exists()


def test_ministry_staff_sign_the_national_report_and_provinces_cannot(demo, signing):
    ministry = _client("bokhcn")
    url = reverse("inspections:signatures", args=["national", 2019])
    for item in [report_services.national_generate(year=2019, kind="pdf", actor=User.objects.get(username="bokhcn"))]:
        report_services.render_file(item.pk)
    assert ministry.post(url, {"server": "1"}).status_code == 302
    item = SignedPdf.objects.get(kind="national")
    assert item.province is None and item.year == 2019
    assert (
        "Sở Khoa học và Công nghệ tỉnh Cao Bằng"
        in ministry.get(reverse("qms:national_report", args=[2019])).content.decode()
    )
    dost = _client("dost")
    assert dost.get(url).status_code == 403
    assert dost.get(reverse("inspections:signed_pdf", args=[item.pk])).status_code == 403


def test_the_command_verifies_a_file_as_the_app_does(signing, tmp_path, db):
    from django.core.management import CommandError, call_command

    from inspections.reports.render import html_to_pdf

    unsigned = html_to_pdf("<p>Báo cáo</p>")
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(sign_elsewhere(unsigned, signing["trusted"]["person"]))
    bad.write_bytes(_stamped_after_signing(good.read_bytes()))
    out = io.StringIO()
    call_command("verify_signed_pdf", str(good), stdout=out)
    assert out.getvalue().startswith("1. Nông Văn Hùng · CA thử nghiệm chuyên dùng Chính phủ · 20")
    with pytest.raises(CommandError, match="Nông Văn Hùng"):
        call_command("verify_signed_pdf", str(bad))
    with pytest.raises(CommandError):
        call_command("verify_signed_pdf", str(tmp_path / "missing.pdf"))


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"  # Debian's softhsm2, installed by scripts/test.sh
TOKEN, KEY, PIN = "iso-tracker", "ky-so", "123456"


@pytest.fixture(scope="session")
def token(tmp_path_factory, pki):
    """A PKCS#11 token (SoftHSM) holding the key and certificate of the "token" signer, as a USB token or
    an HSM would: the key was imported once and is used only on the token from then on."""
    if not Path(SOFTHSM).exists():
        pytest.skip("SoftHSM (Debian's softhsm2) is not installed: scripts/test.sh installs it")
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    util = ["softhsm2-util", "--pin", PIN]
    subprocess.run([*util, "--init-token", "--free", "--label", TOKEN, "--so-pin", "12345678"], check=True)
    key, cert, _chain = pkcs12.load_key_and_certificates(pki["trusted"]["token"].read_bytes(), PASSWORD.encode())
    key_file = folder / "key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    subprocess.run(
        [*util, "--import", str(key_file), "--token", TOKEN, "--label", KEY, "--id", "01"],
        check=True,
        capture_output=True,
    )
    key_file.unlink()
    with pkcs11.lib(SOFTHSM).get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: KEY,
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
            }
        )
    return SOFTHSM


def test_the_server_signs_with_a_key_on_a_pkcs11_token(demo, signing, token, settings):
    settings.SIGNING_PKCS12_FILE = ""
    settings.SIGNING_PKCS11_MODULE, settings.SIGNING_PKCS11_TOKEN = token, TOKEN
    settings.SIGNING_PKCS11_KEY, settings.SIGNING_PKCS11_PIN = KEY, PIN
    inspection = _onsite()
    dost = _client("dost")
    url = reverse("inspections:signatures", args=["mau20", inspection.pk])
    assert 'data-testid="sign-server"' in dost.get(url).content.decode()
    assert dost.post(url, {"server": "1"}).status_code == 302
    item = SignedPdf.objects.get()
    assert (item.source, item.signer) == ("server", "Giám đốc Sở Khoa học và Công nghệ")
    assert "QUYẾT ĐỊNH" in _text(_download(dost, item)).upper()

    settings.SIGNING_PKCS11_PIN = "000000"
    refused = dost.post(url, {"server": "1"})
    assert refused.status_code == 400 and "Không mở được token ký số" in refused.content.decode()
    settings.SIGNING_PKCS11_PIN, settings.SIGNING_PKCS11_KEY = PIN, "khoa-khac"
    refused = dost.post(url, {"server": "1"})
    assert refused.status_code == 400 and "Không dùng được khóa hoặc chứng thư số" in refused.content.decode()
    assert SignedPdf.objects.count() == 1


def _bearer(user: User) -> Client:
    from django.utils import timezone

    from agencies.models import ApiToken

    _token, text = ApiToken.issue(
        user=user, name="văn phòng điện tử", read_only=True, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {text}")


def test_the_api_lists_the_signed_copies_and_serves_their_files_to_whoever_sees_the_document(demo, signing):
    """The provincial document system collects the signed copies through the API, as the web shows them."""
    import hashlib

    inspection = _onsite()
    plan = InspectionPlan.objects.filter(province__code="04").first()
    dost = _client("dost")
    for kind, ref in (("mau21", inspection.pk), ("mau20", inspection.pk), ("mau19", plan.pk)):
        assert dost.post(reverse("inspections:signatures", args=[kind, ref]), {"server": "1"}).status_code == 302
    minutes = SignedPdf.objects.get(kind="mau21")
    listing = reverse("api:signed-document-list")

    api = _bearer(User.objects.get(username="dost"))
    rows = api.get(listing).json()["results"]
    assert {row["kind"] for row in rows} == {"mau19", "mau20", "mau21"}
    assert [row["id"] for row in api.get(listing, {"kind": "mau21"}).json()["results"]] == [minutes.pk]
    assert {row["kind"] for row in api.get(listing, {"year": plan.year}).json()["results"]} >= {"mau19"}
    row = api.get(reverse("api:signed-document-detail", args=[minutes.pk])).json()
    assert row["signer"] == "Sở Khoa học và Công nghệ tỉnh Cao Bằng" and row["inspection"] == inspection.pk
    assert row["signatures"][0]["issuer"] == "CA thử nghiệm chuyên dùng Chính phủ"
    got = api.get(row["file"].removeprefix("http://testserver"), HTTP_ACCEPT="application/pdf")
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    data = b"".join(got.streaming_content)
    assert hashlib.sha256(data).hexdigest() == row["sha256"] and "BIÊN BẢN KIỂM TRA" in _text(data).upper()
    bad = api.get(listing, {"kind": "mau99"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "Choose one of" in bad.json()["kind"][0]

    # the inspected agency's secretary: its decision and minutes, not the province's plan
    own = _bearer(make_user("tk-api-ky", User.Role.SECRETARY, agency=inspection.agency))
    assert {row["kind"] for row in own.get(listing).json()["results"]} == {"mau20", "mau21"}
    assert own.get(row["file"].removeprefix("http://testserver")).status_code == 200
    # another agency's secretary: nothing, and the file is not there (JSON, even to who asks for a PDF)
    other_agency = inspection.agency.__class__.objects.filter(province__code="04").exclude(pk=inspection.agency_id)
    other = _bearer(make_user("tk-api-khac", User.Role.SECRETARY, agency=other_agency.first()))
    assert other.get(listing).json()["results"] == []
    assert other.get(reverse("api:signed-document-detail", args=[minutes.pk])).status_code == 404
    refused = other.get(reverse("api:signed-document-file", args=[minutes.pk]), HTTP_ACCEPT="application/pdf")
    assert refused.status_code == 404 and refused["Content-Type"] == "application/json"
    assert "detail" in refused.json()
    # leadership reads them all; nobody is let in without a token
    lead = _bearer(User.objects.get(username="lanhdao"))
    assert len(lead.get(listing).json()["results"]) == 3
    assert Client().get(listing).status_code == 401


@pytest.fixture(scope="session")
def tsa(pki):
    """A timestamp authority answering RFC 3161 requests over HTTP on a port of its own, with a certificate
    of the trusted CA (pyHanko's test timestamper does the signing)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from asn1crypto import keys as asn1_keys
    from asn1crypto import tsp
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    key, cert, _chain = pkcs12.load_key_and_certificates(pki["trusted"]["tsa"].read_bytes(), PASSWORD.encode())
    der = serialization.Encoding.DER
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
    )

    class Authority(BaseHTTPRequestHandler):
        def do_POST(self):
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Authority)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/tsa"
    server.shutdown()


def test_with_a_timestamp_authority_the_signing_time_is_the_authority_s(demo, signing, tsa, settings):
    inspection = _onsite()
    dost = _client("dost")
    url = reverse("inspections:signatures", args=["mau21", inspection.pk])

    settings.SIGNING_TSA_URL = tsa.rsplit(":", 1)[0] + ":9/tsa"  # nobody answers there
    refused = dost.post(url, {"server": "1"})
    assert refused.status_code == 400 and "không cấp dấu thời gian" in refused.content.decode()
    assert not SignedPdf.objects.exists()

    settings.SIGNING_TSA_URL = tsa
    assert dost.post(url, {"server": "1"}).status_code == 302
    item = SignedPdf.objects.get()
    assert item.signatures[0]["timestamped"] is True and item.signed_at is not None
    assert "thời điểm do tổ chức cấp dấu thời gian xác nhận" in dost.get(url).content.decode()
    # and the file, uploaded again as if signed elsewhere, is verified with its timestamp
    from inspections import signatures

    assert signatures.verify(_download(dost, item))[0]["timestamped"] is True


def test_a_signed_copy_of_another_document_is_refused(demo, signing):
    """Each document the app makes carries its code at the foot of its first page; a validly signed copy of
    another document (another inspection's minutes, the decision instead of the minutes) is refused, so it
    never shows, nor is downloaded, as this one's."""
    inspection = _onsite()
    other = (
        Inspection.objects.filter(mode="onsite", agency__province__code="04").exclude(agency=inspection.agency).first()
    )
    dost = _client("dost")
    minutes = dost.get(reverse("inspections:inspection_pdf", args=[other.pk, "21"])).content
    assert f"ISO Tracker: mau21/{other.pk}" in _text(minutes)
    signed = sign_elsewhere(minutes, signing["trusted"]["person"])
    refused = _upload(dost, reverse("inspections:signatures", args=["mau21", inspection.pk]), signed)
    page = refused.content.decode()
    assert refused.status_code == 400 and f"mau21/{other.pk}" in page and f"mau21/{inspection.pk}" in page
    assert "là một văn bản khác" in page
    decision = sign_elsewhere(
        dost.get(reverse("inspections:inspection_pdf", args=[inspection.pk, "20"])).content,
        signing["trusted"]["person"],
    )
    assert _upload(dost, reverse("inspections:signatures", args=["mau21", inspection.pk]), decision).status_code == 400
    assert not SignedPdf.objects.exists()
    # its own signed copy is kept; so is a signed PDF the app did not make (no code on it)
    assert _upload(dost, reverse("inspections:signatures", args=["mau21", other.pk]), signed).status_code == 302
    assert _upload(dost, reverse("inspections:signatures", args=["mau20", inspection.pk]), decision).status_code == 302
    from weasyprint import HTML

    typed = sign_elsewhere(
        HTML(string="<p>Biên bản kiểm tra (soạn ngoài ứng dụng)</p>").write_pdf(), signing["trusted"]["person"]
    )
    assert _upload(dost, reverse("inspections:signatures", args=["mau21", inspection.pk]), typed).status_code == 302
    assert SignedPdf.objects.count() == 3
