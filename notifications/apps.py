from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Reminders, digests and in-app notifications: a concern of every other app, owned by none of them."""

    name = "notifications"
    verbose_name = _("Reminders and notifications")
