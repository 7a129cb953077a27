"""Domain errors raised by services; pages and the API translate them to answers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the business was broken; ``fields`` names the offending inputs."""

    code = "invalid"
    status = 400

    def __init__(self, message: Any = None, *, fields: dict[str, list[str]] | None = None) -> None:
        self.message = str(message if message is not None else _("The request is not valid."))
        self.fields = fields or {}
        super().__init__(self.message)


class NotFoundError(DomainError):
    """Missing, or outside the actor's scope: the two are indistinguishable on purpose."""

    code = "not_found"
    status = 404

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("Not found."))


class ConflictError(DomainError):
    """The record changed since the actor loaded it; ``changes`` lists what others changed."""

    code = "conflict"
    status = 409

    def __init__(
        self,
        *,
        current_version: int,
        changes: list[dict[str, Any]],
        message: Any = None,
    ) -> None:
        super().__init__(
            message or _("Someone else changed this record while you were editing it.")
        )
        self.current_version = current_version
        self.changes = changes


class NothingToUndoError(DomainError):
    """An undo that has already happened (or whose act was reverted another way)."""

    code = "already_undone"
    status = 409

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("This has already been undone."))


class ForbiddenError(DomainError):
    """The actor's role does not allow this kind of action at all (not about one record)."""

    code = "forbidden"
    status = 403

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("Your role does not allow this."))


class TooManyAttemptsError(DomainError):
    """Too many wrong passwords: refused without checking until the lock ends (HTTP 429)."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, minutes: int) -> None:
        super().__init__(
            _("Too many failed attempts. Try again in %(minutes)d min.") % {"minutes": minutes}
        )
        self.minutes = minutes
