"""Edits of a shared record name the revision they started from; a save on top of a newer one is refused."""

from django.utils.translation import gettext_lazy as _


class EditConflict(Exception):
    """Someone saved the record after this user opened it."""


CONFLICT_MESSAGE = _(
    "Someone else saved this after you opened it; nothing of yours was saved. Your text is still below: copy "
    "what you need, then reload the page to see their version before saving again."
)
