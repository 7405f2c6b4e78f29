from celery import shared_task

from .reports import services


@shared_task(
    name="inspections.tasks.render_report_file", acks_late=True, ignore_result=True, soft_time_limit=150, time_limit=180
)
def render_report_file(file_id: int) -> None:
    """Render a report on the dedicated "reports" queue (a worker with concurrency 1), never in a request."""
    services.render_file(file_id)


@shared_task(name="inspections.tasks.requeue_stale_renders", acks_late=True, ignore_result=True)
def requeue_stale_renders() -> None:
    """Beat, every few minutes: renders lost by the broker or left by a worker that died are queued again,
    and the leadership summary of each large province is queued when its data changed."""
    services.requeue_stale()
    services.prepare_summaries()
