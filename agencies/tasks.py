from celery import shared_task
from django.core.management import call_command


@shared_task(name="agencies.tasks.clear_expired_sessions", ignore_result=True)
def clear_expired_sessions() -> None:
    """Delete expired sessions (Django's clearsessions); running it twice is harmless."""
    call_command("clearsessions")
