"""Django's own messages that its Vietnamese catalogue lacks (the password validators, timesince).

Never called: it only lists the strings so that `makemessages` keeps them in our catalogue, which
Django reads before its own (LOCALE_PATHS)."""

from django.utils.translation import gettext, ngettext


def _untranslated_in_django_vi() -> None:  # pragma: no cover
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        1,
    )
    ngettext(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        1,
    )
    gettext("The password is too similar to the %(verbose_name)s.")
    gettext("Your password can’t be too similar to your other personal information.")
    gettext("This password is too common.")
    gettext("Your password can’t be a commonly used password.")
    gettext("This password is entirely numeric.")
    gettext("Your password can’t be entirely numeric.")
    # timesince ("5 minutes ago" on the dashboard): Django's Vietnamese catalogue has the old msgids.
    ngettext("%(num)d year", "%(num)d years", 1)
    ngettext("%(num)d month", "%(num)d months", 1)
    ngettext("%(num)d week", "%(num)d weeks", 1)
    ngettext("%(num)d day", "%(num)d days", 1)
    ngettext("%(num)d hour", "%(num)d hours", 1)
    ngettext("%(num)d minute", "%(num)d minutes", 1)
