def unread(request):
    """The unread count shown in the navigation bar (one query, only for a signed-in user)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .models import Notification

    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}
