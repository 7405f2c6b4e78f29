from celery import shared_task

from . import snapshots


@shared_task(name="migrations_tracker.tasks.refresh_dashboards")
def refresh_dashboards() -> int:
    """Renew the precomputed dashboard figures of the large provinces (idempotent: one row a day)."""
    return snapshots.refresh_all()
