"""The errors the domain raises, and the one place they are told to people.

A refused operation raises a ``DomainError``: a stable ``code`` (software and templates branch
on it), a ``message`` for people in the active language, and, when there are several anomalies,
``errors`` (each ``{"line", "field", "code", "severity", "message"}``, as the API documents).
An object that does not exist, or that the actor may not see, raises ``NotFound``: both answer
the same, so that nobody learns what exists by asking.

They are mapped once: ``NotFound`` to a 404 page by ``core.http.NotFoundMiddleware`` and to the
API's 404 answer by ``core.api.exception_handler``, which also answers any other
``DomainError`` a view let through in the API's error shape. Views that show a refusal on their
form catch the error and show its ``message``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    """A refused operation. A subclass names the messages of its codes in ``messages``; a
    message may hold ``%(name)s`` placeholders, filled from ``params``."""

    messages: ClassVar[Mapping[str, StrOrPromise]] = {}

    def __init__(
        self,
        code: str,
        message: StrOrPromise | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(code)
        if message is None and code not in self.messages:
            raise ValueError(f"{type(self).__name__} has no message for the code {code!r}")
        self.code = code
        self.params = dict(params or {})
        self.errors = [dict(error) for error in errors]
        self._message = message

    @property
    def message(self) -> str:
        """The message in the active language (read when shown, not when raised)."""
        text = str(self._message if self._message is not None else self.messages[self.code])
        return text % self.params if self.params else text


class NotFound(DomainError):
    """The object does not exist, or the actor may not see it: both answer 404."""

    messages = {"not_found": _("This page does not exist, or it is not yours to see.")}

    def __init__(self, code: str = "not_found", message: StrOrPromise | None = None) -> None:
        super().__init__(code, message)


class Unavailable(DomainError):
    """A part the operation needs does not answer (the database, the upload storage): nothing
    was changed, and the person is asked to come back in a moment (503, ``Retry-After``)."""

    messages = {
        "database": _("Our database is not answering at the moment."),
        "uploads": _("Files cannot be received at the moment: our file storage is not answering."),
    }


# Seconds after which a person (or a client of the API) may try again.
RETRY_AFTER_SECONDS = 30


def unavailable_part(error: BaseException | None) -> str | None:
    """The part named by an error that says a dependency did not answer — ``"database"`` for
    a connection refused, lost or timed out — or None for any other error (a defect: 500)."""
    # Imported here: this module is the domain's, and these are the drivers'.
    from django.db import InterfaceError, OperationalError

    if isinstance(error, Unavailable):
        return error.code
    if isinstance(error, OperationalError | InterfaceError):
        return "database"
    cause = getattr(error, "__cause__", None)
    if cause is not None and cause is not error:
        return unavailable_part(cause)
    return None
