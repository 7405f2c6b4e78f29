"""Invitations (issue 17): a province's DOST makes an account without a password, and the app e-mails its
owner a one-time link to choose one. The link carries Django's password-reset token, so it stops working
once a password is chosen, when the account's password or last sign-in changes, or after
`PASSWORD_RESET_TIMEOUT` (a week). The same e-mail can be sent again from the account's page, confirmed
with the DOST member's own password (an unattended browser cannot hand an account to an address).

The link's page is Django's `PasswordResetConfirmView` with our template and the password rules of the
deployment; it never signs the person in: they sign in afterwards, with the two-step rules of their role."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import User

log = logging.getLogger(__name__)


def invitation_link(account: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    return f"{settings.SITE_URL.rstrip('/')}{reverse('invitation', args=[uid, token])}"


def render_invitation(account: User, by: User) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the invitation, in the deployment's language."""
    from notifications.services import one_line  # the reminders' e-mails' own rule for a subject

    province = account.province or (account.agency.province if account.agency_id else None)
    context = {
        "account": account,
        "name": account.get_full_name() or account.username,
        "by": by.get_full_name() or by.username,
        "dost": province.dost_name if province else "",
        "province": province.name if province else "",
        "agency": account.agency.name if account.agency_id else "",
        "link": invitation_link(account),
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        "site": settings.SITE_URL,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = one_line(render_to_string("registration/emails/invitation-subject.txt", context), 150)
        text = render_to_string("registration/emails/invitation-body.txt", context)
        html = render_to_string("registration/emails/invitation-body.html", context)
    return subject, text, html


def send_invitation(request, account: User) -> bool:
    """E-mail `account` its invitation; tell the user on the page whether it went. An account without an
    e-mail address, or a mail server that refuses, leaves the account as saved."""
    if not account.email:
        messages.error(request, _("%(name)s has no e-mail address: no invitation was sent.") % {"name": account})
        return False
    subject, text, html = render_invitation(account, request.user)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [account.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:  # the mail server's answer, whatever it is: the account stays as saved
        log.warning("invitation to %s not sent: %s", account.pk, exc)
        messages.error(
            request,
            _("The invitation to %(email)s could not be sent (the mail server did not take it); send it again later.")
            % {"email": account.email},
        )
        return False
    messages.success(
        request,
        _("An invitation was sent to %(email)s: its link lets %(name)s choose a password within %(days)s days.")
        % {"email": account.email, "name": account.username, "days": settings.PASSWORD_RESET_TIMEOUT // 86400},
    )
    return True


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The link of an invitation: choose a password (the deployment's rules), then sign in."""

    template_name = "registration/invitation_accept.html"
    success_url = reverse_lazy("login")
    post_reset_login = False
    http_method_names = ["get", "head", "post"]

    def dispatch(self, *args, **kwargs):
        # Django's view answers a link that does not work before it looks at the method: 405 first.
        if self.request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(self.request, *args, **kwargs)
        return super().dispatch(*args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set: sign in with it."))
        return response
