"""Logging what happened with a client: calls, meetings, emails, notes and inquiries."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity, RefusalReason, Task
from kartoteka.activities.services import common
from kartoteka.activities.services.tasks import task_create
from kartoteka.core import access, records
from kartoteka.core.errors import DomainError, NotFoundError

#: what a person or program may write: every audited field but where the record sits
FIELDS = tuple(name for name in Activity.audited_fields if name not in ("owner", "branch"))
OUTCOME = Activity.Outcome
#: the outcomes each type of activity may have (the others have none)
OUTCOMES: dict[str, tuple[str, ...]] = {
    Activity.Type.CALL: (
        OUTCOME.REACHED,
        OUTCOME.NO_ANSWER,
        OUTCOME.BUSY,
        OUTCOME.VOICEMAIL,
    ),
    Activity.Type.INQUIRY: (
        OUTCOME.SOLD,
        OUTCOME.NOT_IN_STOCK,
        OUTCOME.REFUSED,
        OUTCOME.PENDING,
    ),
}
#: where a next step's field errors are reported (the form's "next step" part)
NEXT_STEP_PREFIX = "next_"


def _reason(values: dict[str, Any], current: Activity | None, errors: common.Errors) -> None:
    reason = values.get("reason")
    if reason == "":
        values["reason"] = None
    elif reason is not None and not isinstance(reason, RefusalReason):
        # A deactivated reason may stay on the activities that have it, not be chosen anew.
        kept = current.reason_id if current is not None else None  # type: ignore[attr-defined]
        try:
            pk = int(reason)
            values["reason"] = RefusalReason.objects.filter(
                pk=pk, **({} if pk == kept else {"active": True})
            ).get()
        except (RefusalReason.DoesNotExist, TypeError, ValueError):
            errors["reason"] = [_("No such reason.")]
            values.pop("reason")


def _participants(values: dict[str, Any], errors: common.Errors) -> list[User] | None:
    raw = values.pop("participants", None)
    if raw is None:
        return None
    try:
        wanted = {p.pk if isinstance(p, User) else int(p) for p in raw}
    except (TypeError, ValueError):
        errors["participants"] = [_("No such user.")]
        return None
    people = list(User.objects.filter(pk__in=wanted, is_active=True))
    if len(people) != len(wanted):
        errors["participants"] = [_("No such user.")]
    return people


def _check_outcome(
    cleaned: dict[str, Any], current: Activity | None, errors: common.Errors
) -> None:
    """An outcome fits the type; a refused inquiry says why (from the administered list)."""
    kind = cleaned.get("type", current.type if current else "")
    outcome = cleaned.get("outcome", current.outcome if current else "")
    reason = cleaned.get("reason", current.reason if current else None)
    if outcome and "outcome" not in errors and outcome not in OUTCOMES.get(kind, ()):
        errors["outcome"] = [_("This outcome does not fit this kind of activity.")]
    if kind == Activity.Type.INQUIRY and outcome == OUTCOME.REFUSED:
        if reason is None and "reason" not in errors:
            errors["reason"] = [_("Choose why the client refused.")]
    elif reason is not None:
        cleaned["reason"] = None  # a reason belongs to a refusal only


def _prepare(
    actor: User, values: dict[str, Any], current: Activity | None
) -> tuple[dict[str, Any], list[User] | None, common.Errors]:
    errors: common.Errors = {}
    values = dict(values)
    people = _participants(values, errors)
    common.resolve_clients(actor, values, errors)
    _reason(values, current, errors)
    cleaned = common.clean(Activity, values, FIELDS, errors)
    company = cleaned.get("company", current.company if current else None)
    contact = cleaned.get("contact", current.contact if current else None)
    if company is None and contact is None and "company" not in errors and "contact" not in errors:
        errors["company"] = [_("Choose the company or the contact this is about.")]
    _check_outcome(cleaned, current, errors)
    return cleaned, people, errors


def _participants_writer(people: list[User] | None) -> records.RelatedWriter | None:
    if people is None:
        return None

    def write(activity: Activity) -> records.Changes:
        before = sorted(str(user) for user in activity.participants.all())
        activity.participants.set(people)
        after = sorted(str(user) for user in people)
        return {"participants": [before, after]} if before != after else {}

    return write


def activity_create(*, actor: User, values: dict[str, Any]) -> Activity:
    """Log an activity, authored by ``actor``, about a company and/or contact they may see.

    Every bad field is reported at once; nothing is written unless all are right. A refused
    inquiry needs a reason; a meeting's ``participants`` are user ids.
    """
    cleaned, people, errors = _prepare(actor, values, None)
    if errors and not cleaned.get("type"):
        errors.setdefault("type", [_("This field is required.")])
    return common.create(actor, Activity, cleaned, errors, _participants_writer(people))


def activity_log(
    *, actor: User, values: dict[str, Any], next_step: dict[str, Any] | None = None
) -> tuple[Activity, Task | None]:
    """Log an activity and, if ``next_step`` is given, its follow-up task, in one transaction.

    The task (``title``, ``due_at`` or ``due_date``, ``assignee``: default the actor) is about
    the same client and linked to the activity. Its field errors come back named
    ``next_<field>``; then neither is written.
    """
    with transaction.atomic():
        activity = activity_create(actor=actor, values=values)
        if not next_step:
            return activity, None
        task_values = {
            **next_step,
            "company": activity.company,
            "contact": activity.contact,
            "activity": activity,
        }
        try:
            task = task_create(actor=actor, values=task_values)
        except DomainError as error:
            raise DomainError(
                error.message,
                fields={f"{NEXT_STEP_PREFIX}{k}": v for k, v in error.fields.items()},
            ) from None
    return activity, task


def activity_update(
    *, actor: User, activity: Activity, version: int, values: dict[str, Any]
) -> Activity:
    """Edit an activity if ``version`` is current (its author, within the role's edit scope)."""
    if not access.can(actor, "edit", activity):
        raise NotFoundError()
    cleaned, people, errors = _prepare(actor, values, activity)
    if errors and not cleaned:
        raise DomainError(fields=errors)
    return common.update(actor, activity, version, cleaned, errors, _participants_writer(people))


def activity_trash(*, actor: User, activity: Activity) -> None:
    """Move an activity to the trash (restorable; the page offers "Undo")."""
    common.trash(actor, activity)
