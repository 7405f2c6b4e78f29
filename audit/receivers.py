"""Authentication events (Django's and django-axes' signals), and background jobs that write."""

from axes.signals import user_locked_out
from celery.signals import task_postrun, task_prerun
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .recorder import counting_writes, record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record("login", request=request, user=user, status=200)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    record("logout", request=request, user=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    record("login_failed", request=request, actor_name=credentials.get("username", ""))


@receiver(user_locked_out)
def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record("locked_out", request=request, actor_name=username or "")


_running: dict[str, object] = {}


@task_prerun.connect
def _job_started(task_id=None, task=None, **kwargs):
    manager = counting_writes()
    _running[task_id] = (manager, manager.__enter__())


@task_postrun.connect
def _job_finished(task_id=None, task=None, state=None, **kwargs):
    entry = _running.pop(task_id, None)
    if entry is None:
        return
    manager, counter = entry
    manager.__exit__(None, None, None)
    changes = counter.as_dict()
    if changes:
        record("job", actor_name=f"{task.name} ({state})"[:150], changes=changes)
