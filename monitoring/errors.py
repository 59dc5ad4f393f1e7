"""Errors a write can end with, each carrying a message fit to show to the user.

They live apart from :mod:`monitoring.services` so that the store (:mod:`monitoring.db`) can raise
them too: a database that stays busy or a full disk is reported as plainly as a refused value.
:mod:`monitoring.services` re-exports every name here.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A write was refused; the message is fit to show to the user."""


class DatabaseBusy(ServiceError):
    """The database stayed busy (another write, e.g. a long import, held it) for longer than the
    bounded wait (``MONITORING_WRITE_WAIT_SECONDS``); nothing was written."""

    MESSAGE = (
        "The database is busy (another save or an import is being written); nothing was saved "
        "and your text is kept — press Save again."
    )

    def __init__(self, message: str | None = None):
        super().__init__(message or self.MESSAGE)


class StorageFull(ServiceError):
    """The database's disk is full; nothing was written."""

    MESSAGE = (
        "Not saved: the server's disk is full. Nothing was written and your text is kept; "
        "ask the administrator to free space, then press Save again."
    )

    def __init__(self, message: str | None = None):
        super().__init__(message or self.MESSAGE)
