from celery import shared_task

from agencies import stamps

from . import snapshots


@shared_task(name="migrations_tracker.tasks.refresh_dashboards")
def refresh_dashboards() -> int:
    """Renew the precomputed dashboard figures of the large provinces (idempotent: one row a day), and
    keep only the latest stamp of each area of data (agencies.stamps)."""
    stamps.prune()
    return snapshots.refresh_all()
