"""The range of years and dates the app accepts from users: wide enough for any real record (the
registry starts in the 1990s; plans look a few years ahead), narrow enough that date arithmetic
(deadlines, "as of", 3-month revisions) never leaves what Python and the databases can hold."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import gettext as _

FIRST_YEAR = 1945  # the state's first administrative decisions; nothing older is a real record
LAST_YEAR = 2100
FIRST_DATE = datetime.date(FIRST_YEAR, 1, 1)
LAST_DATE = datetime.date(LAST_YEAR, 12, 31)


def year_or_404(year: int) -> int:
    """A year taken from a URL: outside the range, the page does not exist."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


def validate_date(value: datetime.date | None) -> None:
    """A date typed by a user: one between FIRST_DATE and LAST_DATE."""
    if value is not None and not FIRST_DATE <= value <= LAST_DATE:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s.")
            % {
                "first": date_format(FIRST_DATE, "SHORT_DATE_FORMAT"),
                "last": date_format(LAST_DATE, "SHORT_DATE_FORMAT"),
            },
            code="date_range",
        )
