"""Calendar events: planning, moving and resizing meetings, and who takes part."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities import queries
from kartoteka.activities.models import CalendarEvent, EventParticipant
from kartoteka.activities.services import common
from kartoteka.core import access, records
from kartoteka.core.errors import ConflictError, DomainError, NotFoundError
from kartoteka.records.services.undo import Undo

FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "all_day",
    "location",
    "company",
    "contact",
    "remind_before",
    "recurrence",
    "ical_uid",
    "ical_recurrence_id",
    "owner",
)


def _prepare(
    actor: User, values: dict[str, Any]
) -> tuple[dict[str, Any], list[User] | None, common.Errors]:
    errors: common.Errors = {}
    values = dict(values)
    participants = values.pop("participants", None)
    common.resolve_clients(actor, values, errors)
    common.resolve_user(values, "owner", errors)
    if values.get("owner") in ("", None):
        values.pop("owner", None)
    cleaned = common.clean(CalendarEvent, values, FIELDS, errors)
    people = None
    if participants is not None:
        ids = [p.pk if isinstance(p, User) else p for p in participants]
        try:
            wanted = {int(pk) for pk in ids}
        except (TypeError, ValueError):
            wanted = set()
            errors["participants"] = [_("No such user.")]
        people = list(User.objects.filter(pk__in=wanted, is_active=True))
        if len(people) != len(wanted):
            errors["participants"] = [_("No such user.")]
    return cleaned, people, errors


def _participants_writer(people: list[User] | None) -> records.RelatedWriter | None:
    """Writes the meeting's participants (``people`` plus its organiser, who always takes
    part) in the record's own transaction, so a change of who takes part is one version and one
    audit entry with the rest ("participants: A, C → B, C")."""
    if people is None:
        return None

    def write(event: CalendarEvent) -> records.Changes:
        wanted = {user.pk for user in people}
        if event.owner_id is not None:  # type: ignore[attr-defined]
            wanted.add(event.owner_id)  # type: ignore[attr-defined]
        current = set(
            EventParticipant.objects.filter(event=event).values_list("user_id", flat=True)
        )
        if wanted == current:
            return {}
        EventParticipant.objects.filter(event=event, user_id__in=current - wanted).delete()
        EventParticipant.objects.bulk_create(
            EventParticipant(event=event, user_id=pk) for pk in wanted - current
        )
        names = {user.pk: str(user) for user in User.objects.filter(pk__in=wanted | current)}
        return {
            "participants": [
                sorted(names[pk] for pk in current if pk in names),
                sorted(names[pk] for pk in wanted if pk in names),
            ]
        }

    return write


def event_create(*, actor: User, values: dict[str, Any]) -> CalendarEvent:
    """Plan an event organised by ``values["owner"]`` (default: the actor); the organiser
    always takes part."""
    cleaned, people, errors = _prepare(actor, values)
    return common.create(actor, CalendarEvent, cleaned, errors, _participants_writer(people or []))


def event_update(
    *, actor: User, event: CalendarEvent, version: int, values: dict[str, Any]
) -> CalendarEvent:
    """Change an event (a drag in the calendar sends only ``starts_at``/``ends_at``) if
    ``version`` is current; ``values["participants"]``, when given, is the whole new list."""
    cleaned, people, errors = _prepare(actor, values)
    return common.update(actor, event, version, cleaned, errors, _participants_writer(people))


def event_move(
    *,
    actor: User,
    event: CalendarEvent,
    version: int,
    values: dict[str, Any],
    from_person: int | None = None,
    to_person: int | None = None,
) -> CalendarEvent:
    """A drag in the calendar: the new ``starts_at``/``ends_at``/``all_day`` in ``values``, if
    ``version`` is current.

    Dropped from one person's column onto another's (the day view shows colleagues side by
    side), ``to_person`` takes the place of ``from_person`` among the participants, the others
    staying; if ``from_person`` organised it, ``to_person`` becomes the organiser (which needs the
    right to reassign it). ``to_person`` must be someone the actor may invite
    (:func:`~kartoteka.activities.queries.invitable_people`); everything else is checked as for
    any edit, in the same transaction, as one version and one audit entry.
    """
    values = dict(values)
    if from_person is not None and to_person is not None and from_person != to_person:
        newcomer = queries.invitable_people(actor).filter(pk=to_person).first()
        if newcomer is None:
            raise DomainError(
                _("You cannot invite this person."), fields={"participants": [_("No such user.")]}
            )
        current = set(
            EventParticipant.objects.filter(event=event).values_list("user_id", flat=True)
        )
        # On a stale page the version check answers (a conflict); on a current one the person
        # the meeting was dragged away from must be taking part.
        if from_person not in current and event.version == version:
            raise DomainError(
                _("Reload the page and try again."),
                fields={"participants": [_("This person does not take part.")]},
            )
        values["participants"] = sorted((current - {from_person}) | {newcomer.pk})
        if event.owner_id == from_person:  # type: ignore[attr-defined]
            values["owner"] = newcomer
    return event_update(actor=actor, event=event, version=version, values=values)


def event_trash(*, actor: User, event: CalendarEvent) -> None:
    """Move an event to the trash."""
    common.trash(actor, event)


def clashes(event: CalendarEvent) -> QuerySet[CalendarEvent]:
    """Other events overlapping ``event`` that share a participant with it."""
    people = EventParticipant.objects.filter(event=event).values("user_id")
    return (
        CalendarEvent.objects.filter(
            starts_at__lt=event.ends_at,
            ends_at__gt=event.starts_at,
            eventparticipant__user_id__in=people,
        )
        .exclude(pk=event.pk)
        .distinct()
    )


def for_move(event: CalendarEvent, before: dict[str, Any]) -> Undo:
    """How to take back a drag or resize of ``event`` (now at its new version) to ``before``
    (its ``starts_at``, ``ends_at`` and ``all_day`` as they were; after a drop onto another
    person's column also its ``participants`` ids and ``owner`` id)."""
    data = {
        "pk": event.pk,
        "version": event.version,
        "starts_at": before["starts_at"].isoformat(),
        "ends_at": before["ends_at"].isoformat(),
        "all_day": before["all_day"],
    }
    if "participants" in before:
        data["participants"] = sorted(before["participants"])
        data["owner"] = before["owner"]
    return Undo("event_move", data)


def undo_move(actor: User, data: dict[str, Any]) -> str:
    """Put a moved event back where it was, unless someone changed it since."""
    event = CalendarEvent.objects.filter(pk=data["pk"]).first()
    if event is None or not access.can(actor, "edit", event):
        raise NotFoundError()
    if event.version != data["version"]:
        raise ConflictError(
            current_version=event.version,
            changes=[],
            message=_("“%(name)s” was changed since; it stays where it is.") % {"name": event},
        )
    values: dict[str, Any] = {
        "starts_at": datetime.fromisoformat(data["starts_at"]),
        "ends_at": datetime.fromisoformat(data["ends_at"]),
        "all_day": data["all_day"],
    }
    if "participants" in data:  # it was handed to someone else: it goes back, too
        values["participants"] = data["participants"]
        values["owner"] = data["owner"]
    event_update(actor=actor, event=event, version=event.version, values=values)
    return _("“%(name)s” is back at its time.") % {"name": event}
