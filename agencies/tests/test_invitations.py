"""Issue 17: a province's DOST invites its secretaries: the account is made without a password, its owner
gets an e-mail (Vietnamese, plain text and HTML) with a one-time link to choose one, then signs in. The
link works once; another province's DOST cannot invite, nor send the link again, for an account not
theirs."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from agencies.models import Agency, User
from agencies.tests.factories import make_agency, make_user

pytestmark = pytest.mark.django_db
DOST_PASSWORD = "Mat-khau-So-2026!"
CHOSEN = "Thu-ky-moi-2026!"


@pytest.fixture
def dost(demo):
    account = User.objects.get(username="dost")
    account.set_password(DOST_PASSWORD)
    account.save()
    client = Client()
    assert client.post(reverse("login"), {"username": "dost", "password": DOST_PASSWORD}).status_code == 302
    return client


def _link(message) -> str:
    (link,) = set(re.findall(r"https?://\S+/accounts/invitation/\S+/", message.body))
    return "/" + link.split("/", 3)[3]


def test_an_invited_secretary_chooses_a_password_once_and_signs_in(dost):
    agency = Agency.objects.filter(province__code="04", ended_on__isnull=True).order_by("code").first()
    typed = {
        "username": "tk.moi",
        "last_name": "Hoàng Thị",
        "first_name": "Mai",
        "email": "mai@caobang.gov.vn",
        "role": "secretary",
        "agency": agency.pk,
        "is_active": "on",
        "your_password": DOST_PASSWORD,
    }
    refused = dost.post(reverse("accounts:create"), typed)  # neither a password nor an invitation
    assert refused.status_code == 200 and "Nhập mật khẩu, hoặc gửi lời mời." in refused.content.decode()
    no_address = dost.post(reverse("accounts:create"), typed | {"invite": "on", "email": ""})
    assert "tk.moi" in no_address.content.decode() and not User.objects.filter(username="tk.moi").exists()

    assert dost.post(reverse("accounts:create"), typed | {"invite": "on"}).status_code == 302
    account = User.objects.get(username="tk.moi")
    assert not account.has_usable_password()
    (message,) = mail.outbox
    assert message.to == ["mai@caobang.gov.vn"] and "Cao Bằng" in message.subject
    assert "Hoàng Thị Mai" in message.body and agency.name in message.body and "tk.moi" in message.body
    html = message.alternatives[0][0]
    assert 'lang="vi"' in html and "Chọn mật khẩu" in html

    visitor = Client()
    assert visitor.post(reverse("login"), {"username": "tk.moi", "password": CHOSEN}).status_code == 200
    page = visitor.get(_link(message), follow=True)
    assert 'data-testid="invitation-form"' in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    weak = visitor.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and not User.objects.get(username="tk.moi").has_usable_password()
    done = visitor.post(form_url, {"new_password1": CHOSEN, "new_password2": CHOSEN})
    assert done.status_code == 302 and done.url == reverse("login")

    again = Client().get(_link(message), follow=True)  # used once: the link no longer works
    assert 'data-testid="invitation-invalid"' in again.content.decode()
    secretary = Client()
    assert secretary.post(reverse("login"), {"username": "tk.moi", "password": CHOSEN}).status_code == 302
    assert secretary.get(reverse("qms:profile", args=[agency.pk])).status_code == 200


def test_the_invitation_is_sent_again_with_one_s_own_password_and_only_in_one_s_province(dost):
    secretary = User.objects.get(username="tk.skhcn")
    secretary.email = "tk@caobang.gov.vn"
    secretary.save()
    url = reverse("accounts:invite", args=[secretary.pk])
    dost.post(url, {"your_password": "wrong"})
    assert mail.outbox == []
    assert dost.post(url, {"your_password": DOST_PASSWORD}).status_code == 302
    assert [m.to for m in mail.outbox] == [["tk@caobang.gov.vn"]]

    from agencies.models import Province

    other = Province.objects.create(code="06", name="Bắc Kạn")
    make_agency(other, code="BK1", name="Sở Nội vụ Bắc Kạn")
    foreign = make_user("dost.bk", User.Role.DOST, province=other)
    foreign.set_password(DOST_PASSWORD)
    foreign.save()
    client = Client()
    client.post(reverse("login"), {"username": "dost.bk", "password": DOST_PASSWORD})
    assert client.post(url, {"your_password": DOST_PASSWORD}).status_code == 404
    for username in ("lanhdao", "tk.h08"):
        client = Client()
        client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
        assert client.post(url, {"your_password": "CaoBang@2019"}).status_code == 403
    assert len(mail.outbox) == 1
