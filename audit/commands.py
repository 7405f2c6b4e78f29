"""Management commands that write (seed_demo, restore, send_reminders, createsuperuser,
changepassword, a shell session…) leave one audit record each, with the system user who ran them.

Django has no signal around a command, so BaseCommand.execute is wrapped once at start-up. The
commands that only change the schema or files are left out: their records would have no table to go to
or nothing to say."""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand

from .recorder import counting_writes, record

NOT_AUDITED = {
    "migrate",
    "makemigrations",
    "sqlmigrate",
    "showmigrations",
    "squashmigrations",
    "flush",
    "test",
    "check",
    "collectstatic",
    "compilemessages",
    "makemessages",
    "runserver",
    "dbshell",
}


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "?"


def audit_management_commands() -> None:
    if getattr(BaseCommand.execute, "_audited", False):
        return
    original = BaseCommand.execute

    def execute(self, *args, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        if name in NOT_AUDITED:
            return original(self, *args, **options)
        with counting_writes() as counter:
            result = original(self, *args, **options)
        changes = counter.as_dict()
        if changes:
            record("command", actor_name=f"manage.py {name} ({_system_user()})"[:150], changes=changes)
        return result

    execute._audited = True
    BaseCommand.execute = execute
