"""Uploaded and generated files on disk, with nothing half-written left behind: when the media disk is full
or cannot be written, the file being saved is removed and `StorageUnavailable` (an OSError) is raised, so
that the caller can say so in the user's language and keep no database row for it."""

from __future__ import annotations

import logging
import os

from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

STORAGE_MESSAGE = _(
    "The file could not be saved: the server's file storage is full or cannot be written. Nothing was saved; "
    "what you typed is kept. Tell the system administrator, then try again."
)


class StorageUnavailable(OSError):
    """The media disk is full or cannot be written; nothing of the file was kept."""


class SafeFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        name = self.get_available_name(name)  # the name this save creates (O_EXCL), so only ours is removed
        try:
            return super()._save(name, content)
        except OSError as exc:
            path = self.path(name)
            try:
                if os.path.exists(path):
                    os.unlink(path)  # a partial file
            except OSError:
                log.exception("partial file %s could not be removed", path)
            log.error("file %s could not be stored: %s", name, exc)
            raise StorageUnavailable(exc.errno, exc.strerror or str(exc)) from exc
