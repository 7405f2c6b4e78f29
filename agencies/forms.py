from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .auth import password_confirmed
from .models import Agency, ApplicationRule, Category, Reorganisation, User
from .picker import AgencyField, AgencyMultipleField
from .selectors import visible_agencies
from .services import CONTACT_FIELDS, LegalBasis

DATE_WIDGET = forms.DateInput(attrs={"placeholder": _("dd/mm/yyyy"), "autocomplete": "off"}, format="%d/%m/%Y")
PARENT_CATEGORIES = [
    Category.PROVINCIAL_AGENCY,
    Category.DISTRICT_PC,
    Category.COMMUNE_PC,
    Category.CENTRAL_AGENCY,
    Category.COMMUNE_LEVEL_PC,
]


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def current_agencies(user: User) -> QuerySet[Agency]:
    today = timezone.localdate()
    return visible_agencies(user).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today)).order_by("name")


class AgencyChoiceField(AgencyField):
    """One agency of the registry, chosen with the picker (never a list of every agency)."""


class AgencyMultipleChoiceField(AgencyMultipleField):
    """Several agencies of the registry, chosen with the picker."""


def parent_field(user: User, *, required: bool = False, label=None) -> AgencyChoiceField:
    return AgencyChoiceField(
        queryset=current_agencies(user).filter(category__in=PARENT_CATEGORIES),
        kind="parents",
        required=required,
        label=label or _("Parent agency"),
        help_text=_("Leave empty for an agency directly under the provincial People's Committee."),
    )


def website_field() -> forms.URLField:
    return forms.URLField(label=_("Website"), required=False, assume_scheme="https")


class RevisionForm(forms.Form):
    """The revision of the record the user opened or read, sent back with the save or the decision
    (see iso_tracker.concurrency)."""

    revision = forms.IntegerField(min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput)


class RevisionMixin(RevisionForm):
    """RevisionForm for a ModelForm: the field starts at the instance's revision."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:  # a new record has no earlier save to collide with
            del self.fields["revision"]
        else:
            self.initial.setdefault("revision", self.instance.revision)


class ApplicationRuleForm(forms.ModelForm):
    """DOST: from a date, applying a QMS is mandatory or encouraged for a category."""

    class Meta:
        model = ApplicationRule
        fields = ["category", "obligation", "valid_from", "basis", "note"]
        widgets = {"valid_from": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 2})}


class AgencyForm(RevisionMixin, forms.ModelForm):
    """DOST staff: every field of an agency."""

    website = website_field()

    class Meta:
        model = Agency
        fields = ["code", "name", "category", "parent", "locality", "established_on", *CONTACT_FIELDS, "note"]
        widgets = {"established_on": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = parent_field(user)
        if self.instance.pk:
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(pk=self.instance.pk)
            self.fields["code"].help_text = _(
                "Correcting the name or parent here rewrites the current period. "
                "For a rename or transfer with a legal basis, record a reorganisation."
            )


class AgencyContactForm(RevisionMixin, forms.ModelForm):
    """An ISO secretary: the contact data of their own agency."""

    website = website_field()

    class Meta:
        model = Agency
        fields = list(CONTACT_FIELDS)


class ReorganisationBaseForm(forms.Form):
    decision_number = forms.CharField(
        label=_("Decision number"),
        max_length=100,
        help_text=_("Number and symbol of the legal basis, e.g. 897/NQ-UBTVQH14"),
    )
    decision_date = forms.DateField(label=_("Decision date"), widget=DATE_WIDGET)
    effective_date = forms.DateField(label=_("Effective date"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def legal_basis(self) -> LegalBasis:
        data = self.cleaned_data
        return LegalBasis(data["decision_number"], data["decision_date"], data["effective_date"], data["note"])


class NewAgencyFields(forms.Form):
    """The fields of an agency that a merge or split creates."""

    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=255)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    locality = forms.CharField(label=_("Locality"), max_length=120, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = parent_field(user)

    def agency_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("code", "name", "category", "parent", "locality")}


class MergeForm(ReorganisationBaseForm):
    predecessors = AgencyMultipleChoiceField(label=_("Agencies merged"), help_text=_("Search and add each one."))
    into = AgencyChoiceField(
        required=False,
        label=_("Merged into an existing agency"),
        help_text=_("Leave empty to merge into a new agency, described below."),
    )
    new_code = forms.CharField(label=_("New agency's code"), max_length=32, required=False)
    new_name = forms.CharField(label=_("New agency's name"), max_length=255, required=False)
    new_category = forms.ChoiceField(
        label=_("New agency's category"), choices=[("", "—"), *Category.choices], required=False
    )
    new_locality = forms.CharField(label=_("New agency's locality"), max_length=120, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["predecessors"].queryset = current_agencies(user)
        self.fields["into"].queryset = current_agencies(user)
        self.fields["new_parent"] = parent_field(user, label=_("New agency's parent"))

    def clean(self):
        data = super().clean()
        if not data.get("into"):
            for name in ("new_code", "new_name", "new_category"):
                if not data.get(name):
                    self.add_error(name, _("Required when merging into a new agency."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        new_agency = None
        if not data.get("into"):
            new_agency = {
                "code": data["new_code"],
                "name": data["new_name"],
                "category": data["new_category"],
                "parent": data.get("new_parent"),
                "locality": data.get("new_locality", ""),
            }
        return {"predecessors": list(data["predecessors"]), "into": data.get("into"), "new_agency": new_agency}


class SplitForm(ReorganisationBaseForm):
    predecessor = AgencyChoiceField(label=_("Agency split"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["predecessor"].queryset = current_agencies(user)
        NewFormSet = forms.formset_factory(NewAgencyFields, extra=3, min_num=2, validate_min=True)
        self.new_agencies = NewFormSet(self.data or None, prefix="new", form_kwargs={"user": user})

    def is_valid(self) -> bool:
        return all([super().is_valid(), self.new_agencies.is_valid()])

    def service_kwargs(self) -> dict:
        return {
            "predecessor": self.cleaned_data["predecessor"],
            "new_agencies": [f.agency_data() for f in self.new_agencies if f.has_changed() and f.cleaned_data],
        }


class RenameForm(ReorganisationBaseForm):
    agency = AgencyChoiceField(label=_("Agency"))
    new_name = forms.CharField(label=_("New name"), max_length=255)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["agency"].queryset = current_agencies(user)

    def service_kwargs(self) -> dict:
        return {"agency": self.cleaned_data["agency"], "new_name": self.cleaned_data["new_name"]}


class TransferForm(ReorganisationBaseForm):
    agency = AgencyChoiceField(label=_("Agency"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["agency"].queryset = current_agencies(user)
        self.fields["new_parent"] = parent_field(user, label=_("New parent agency"))

    def service_kwargs(self) -> dict:
        return {"agency": self.cleaned_data["agency"], "new_parent": self.cleaned_data.get("new_parent")}


class DissolutionForm(ReorganisationBaseForm):
    agencies = AgencyMultipleChoiceField(label=_("Agencies dissolved"), help_text=_("Search and add each one."))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["agencies"].queryset = current_agencies(user)

    def service_kwargs(self) -> dict:
        return {"agencies": list(self.cleaned_data["agencies"])}


REORGANISATION_FORMS = {
    Reorganisation.Kind.MERGE: MergeForm,
    Reorganisation.Kind.SPLIT: SplitForm,
    Reorganisation.Kind.RENAME: RenameForm,
    Reorganisation.Kind.TRANSFER: TransferForm,
    Reorganisation.Kind.DISSOLUTION: DissolutionForm,
}


class ImportFileForm(forms.Form):
    """An .xlsx or .csv to import: refused by its size and name before anything reads it."""

    file = forms.FileField(label=_("File (.xlsx or .csv)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.fields["file"].help_text:
            self.fields["file"].help_text = _("At most %(n)s MB. The first row holds the column headers.") % {
                "n": settings.IMPORT_MAX_MB
            }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(n)s MB.") % {"n": settings.IMPORT_MAX_MB})
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an Excel (.xlsx) or CSV (.csv) file."))
        return upload


class ImportForm(ImportFileForm):
    """The registry import."""


# --- Accounts: a password given again, an account of the province, the second factor ---------------


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form, with the old password checked like a sign-in (`password_confirmed`)."""

    def __init__(self, user, *args, request: HttpRequest, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if not password_confirmed(self.request, self.user, old_password):
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class ReauthForm(forms.Form):
    """The signed-in user's own password again, before a sensitive change (re-authentication)."""

    your_password = forms.CharField(
        label=gettext_lazy("Your own password, to confirm"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request: HttpRequest, **kwargs):
        self.request = request
        self.actor = request.user
        super().__init__(*args, **kwargs)

    def clean_your_password(self):
        password = self.cleaned_data["your_password"]
        if not password_confirmed(self.request, self.actor, password):
            raise forms.ValidationError(_("Your password is wrong; nothing was changed."))
        return password


class UserAccountForm(ReauthForm, forms.ModelForm):
    new_password = forms.CharField(
        label=gettext_lazy("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("At least 10 characters. Leave empty to keep the current password."),
    )
    invite = forms.BooleanField(
        label=gettext_lazy("E-mail an invitation instead: a link to choose their own password"),
        required=False,
        help_text=gettext_lazy("The link works once, for 7 days. The account needs an e-mail address."),
    )

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "email", "role", "agency", "is_active"]
        field_classes = {"agency": AgencyChoiceField}
        labels = {"last_name": gettext_lazy("Family and middle names"), "first_name": gettext_lazy("Given name")}

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        actor = self.actor
        # Every account a DOST member manages is of their province (the model's checks rely on it).
        self.instance.province_id = actor.province_id
        self.fields["role"].required = True
        # A province's roles only: Ministry accounts are the site administrator's to give.
        provincial = [(value, label) for value, label in User.Role.choices if value != User.Role.MINISTRY]
        self.fields["role"].choices = [("", "---------"), *provincial]
        self.fields["agency"].queryset = current_agencies(actor)
        self.fields["agency"].help_text = _("For an ISO secretary: the agency they work for.")
        if self.instance.pk is None:
            self.fields["new_password"].help_text = _("At least 10 characters; or send an invitation below.")
        else:  # an account that exists is invited again from its page
            del self.fields["invite"]
        if self.instance.oidc_subject:  # linked at its first single sign-on (agencies/sso.py)
            self.fields["unlink_sso"] = forms.BooleanField(
                label=_("Unlink the single sign-on identity"),
                required=False,
                help_text=_(
                    "This account signs in through the province's identity provider as %(subject)s. Unlinked, "
                    "the next single sign-on is matched by the account's e-mail address again (for example when "
                    "the person's identity at the provider was replaced)."
                )
                % {"subject": escape(self.instance.oidc_subject)},  # help text is shown as HTML
            )
        # The confirmation comes last.
        self.order_fields([name for name in self.fields if name != "your_password"] + ["your_password"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") != User.Role.SECRETARY:
            cleaned["agency"] = None  # the model's own check asks a secretary for an agency
        password = cleaned.get("new_password")
        if self.instance.pk is None and not password:
            if not cleaned.get("invite"):
                self.add_error("new_password", _("Type a password, or send an invitation."))
            elif not cleaned.get("email") and "email" not in self.errors:
                self.add_error("email", _("An invitation is sent to this address: type it."))
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as exc:
                self.add_error("new_password", exc)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        user.province_id = self.actor.province_id
        if self.cleaned_data.get("unlink_sso"):
            user.oidc_subject = ""
        if self.cleaned_data.get("new_password"):
            user.set_password(self.cleaned_data["new_password"])
        elif user.pk is None:  # invited: no password until they choose one through the link
            user.set_unusable_password()
        if commit:
            user.save()
        return user


class UserSearchForm(forms.Form):
    """The search box of the account list (from the query string)."""

    q = forms.CharField(required=False, max_length=255)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Six-digit code from the authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args, device: TOTPDevice | None, **kwargs):
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if self.device is None:
            raise forms.ValidationError(_("This account has no authenticator app."))
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(_("Too many wrong codes; wait a minute and try again."))
        if not self.device.verify_token(token):
            raise forms.ValidationError(_("The code is wrong or has expired."))
        return token


class DisableForm(ReauthForm, TokenForm):
    pass


class HandoverToForm(forms.Form):
    """The agency that takes an ended unit's ticked items over: one existing on the day it ended."""

    to = AgencyChoiceField(required=False, label=_("Agency that takes the ticked items over"))

    def __init__(self, *args, agency: Agency, **kwargs):
        from .handover import successors_for

        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = successors_for(agency)
        self.fields["to"].widget.kind = f"successors-{agency.pk}"
