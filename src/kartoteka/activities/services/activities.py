"""Logging what happened with a client: calls, meetings, emails, notes and inquiries."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity, RefusalReason
from kartoteka.activities.services import common
from kartoteka.core.errors import DomainError

FIELDS = (
    "type",
    "subject",
    "body",
    "occurred_at",
    "company",
    "contact",
    "direction",
    "duration",
    "outcome",
    "result",
    "reason",
    "product_text",
    "place",
    "recording_url",
)


def _prepare(
    actor: User, values: dict[str, Any], current: Activity | None
) -> tuple[dict[str, Any], common.Errors]:
    errors: common.Errors = {}
    values = dict(values)
    common.resolve_clients(actor, values, errors)
    reason = values.get("reason")
    if reason not in (None, "") and not isinstance(reason, RefusalReason):
        try:
            values["reason"] = RefusalReason.objects.get(pk=int(reason))
        except (RefusalReason.DoesNotExist, TypeError, ValueError):
            errors["reason"] = [_("No such reason.")]
            values.pop("reason")
    elif reason == "":
        values["reason"] = None
    cleaned = common.clean(Activity, values, FIELDS, errors)
    company = cleaned.get("company", current.company if current else None)
    contact = cleaned.get("contact", current.contact if current else None)
    if company is None and contact is None and "company" not in errors and "contact" not in errors:
        errors["company"] = [_("Choose the company or the contact this is about.")]
    return cleaned, errors


def activity_create(*, actor: User, values: dict[str, Any]) -> Activity:
    """Log an activity, authored by ``actor``, about a company and/or contact they may see.

    Every bad field is reported at once; nothing is written unless all are right.
    """
    cleaned, errors = _prepare(actor, values, None)
    if errors and not cleaned.get("type"):
        errors.setdefault("type", [_("This field is required.")])
    return common.create(actor, Activity, cleaned, errors)


def activity_update(
    *, actor: User, activity: Activity, version: int, values: dict[str, Any]
) -> Activity:
    """Edit an activity if ``version`` is current (its author, within the role's edit scope)."""
    cleaned, errors = _prepare(actor, values, activity)
    if errors and not cleaned:
        raise DomainError(fields=errors)
    return common.update(actor, activity, version, cleaned, errors)


def activity_trash(*, actor: User, activity: Activity) -> None:
    """Move an activity to the trash."""
    common.trash(actor, activity)
