"""``/api/v1/activities/``, ``/api/v1/tasks/`` and ``/api/v1/events/``.

Every read starts from the kind's scoped query (``activities.queries``): an activity of a client
the caller cannot see does not exist for them (404), a task's author sees the task they set, an
event's participants see it. Every write goes through the kind's services, which check each field
(all bad fields named in one answer), resolve the linked company and contact under the same
access rule (a hidden one is "No such client", like a missing one), refuse a stale ``version``
(409) and write the audit trail.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.request import Request

from kartoteka.accounts.models import User
from kartoteka.activities import queries
from kartoteka.activities.api.common import (
    RECORD_FIELDS,
    KindSerializer,
    KindViewSet,
    LinkField,
    bool_param,
    choice_param,
    date_param,
    id_param,
    moment_param,
)
from kartoteka.activities.fields import ACTIVITY_FIELDS, EVENT_FIELDS, TASK_FIELDS
from kartoteka.activities.models import Activity, CalendarEvent, RefusalReason, Task
from kartoteka.activities.services.activities import (
    activity_create,
    activity_trash,
    activity_update,
)
from kartoteka.activities.services.events import event_create, event_trash, event_update
from kartoteka.activities.services.tasks import (
    task_complete,
    task_create,
    task_reopen,
    task_trash,
    task_update,
)
from kartoteka.core import access, kinds
from kartoteka.core.errors import NotFoundError
from kartoteka.core.ids import MAX_ID, parse_id
from kartoteka.core.prefetch import prefetched

_CLIENT_DOC = (
    "A company (or contact) you may see; one you may not is refused as not found, exactly "
    "like a missing one."
)


def _client_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("company", int, description="Only those linked to this company."),
        OpenApiParameter("contact", int, description="Only those linked to this contact."),
    ]


def _by_client(request: Request, rows: QuerySet[Any]) -> QuerySet[Any]:
    company, contact = id_param(request, "company"), id_param(request, "contact")
    if company is not None:
        rows = rows.filter(company_id=company)
    if contact is not None:
        rows = rows.filter(contact_id=contact)
    return rows


# --- Activities --------------------------------------------------------------------------------


class ActivitySerializer(KindSerializer):
    """Something that happened with a client: a call, meeting, email, note or inquiry."""

    company = LinkField(required=False, allow_null=True, help_text=_CLIENT_DOC)
    contact = LinkField(required=False, allow_null=True, help_text=_CLIENT_DOC)
    author = LinkField(
        source="owner", read_only=True, help_text="Who logged it: the caller, on create."
    )
    reason = LinkField(
        required=False,
        allow_null=True,
        help_text="Why it was refused or not sold: an id from the administered list.",
    )

    class Meta:
        model = Activity
        fields = (
            "id",
            "type",
            "subject",
            "body",
            "occurred_at",
            "company",
            "contact",
            "author",
            "direction",
            "duration",
            "outcome",
            "result",
            "reason",
            "product_text",
            "place",
            "recording_url",
            *RECORD_FIELDS,
        )
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "duration": {"help_text": "Seconds."},
            "occurred_at": {"help_text": "When it happened; now if left out."},
            "product_text": {"help_text": "What an inquiry asked for, in the client's words."},
        }


@extend_schema_view(
    list=extend_schema(
        description="Newest first (by `occurred_at`).",
        parameters=[
            *_client_parameters(),
            OpenApiParameter("author", int, description="Logged by this user."),
            OpenApiParameter(
                "type",
                str,
                enum=Activity.Type.values,
                description="One type, or several: `type=call,meeting`.",
            ),
            OpenApiParameter("outcome", str, enum=Activity.Outcome.values),
            OpenApiParameter(
                "occurred_after",
                OpenApiTypes.DATETIME,
                description="From this moment on (a date: from its start), inclusive.",
            ),
            OpenApiParameter(
                "occurred_before",
                OpenApiTypes.DATETIME,
                description="Before this moment (a date: before its start).",
            ),
        ],
    )
)
class ActivityViewSet(KindViewSet):
    """Calls, meetings, emails, notes and inquiries logged on the clients you may see."""

    serializer_class = ActivitySerializer
    queryset = Activity.objects.none()
    ordering = ("-occurred_at",)
    ordering_fields = kinds.sort_columns(ACTIVITY_FIELDS)
    # What was written is what is shown: the service refuses a client the caller cannot see.
    reread = False

    def rows(self, user: User) -> QuerySet[Activity]:
        return queries.api_rows(user, queries.activities(user))

    def filtered(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        request = self.request
        rows = _by_client(request, rows)
        author = id_param(request, "author")
        if author is not None:
            rows = rows.filter(owner_id=author)
        types = choice_param(request, "type", Activity.Type)
        if types:
            rows = rows.filter(type__in=types)
        outcomes = choice_param(request, "outcome", Activity.Outcome)
        if outcomes:
            rows = rows.filter(outcome__in=outcomes)
        after = moment_param(request, "occurred_after")
        if after is not None:
            rows = rows.filter(occurred_at__gte=after)
        before = moment_param(request, "occurred_before")
        if before is not None:
            rows = rows.filter(occurred_at__lt=before)
        return rows

    def create_service(self, actor: User, values: dict[str, Any]) -> Activity:
        return activity_create(actor=actor, values=values)

    def update_service(
        self, actor: User, obj: Activity, version: int, values: dict[str, Any]
    ) -> Activity:
        return activity_update(actor=actor, activity=obj, version=version, values=values)

    def trash_service(self, actor: User, obj: Activity) -> None:
        activity_trash(actor=actor, activity=obj)


# --- Tasks -------------------------------------------------------------------------------------

#: RFC 5545 RRULE as written in a task: KEY=VALUE parts separated by ";", FREQ among them
_RRULE_PART = re.compile(r"[A-Z]+=[A-Za-z0-9,+\-:]+")
_FREQUENCIES = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}


class ChecklistItemSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One line of a task's checklist."""

    text = serializers.CharField(max_length=300)
    done = serializers.BooleanField(default=False)


class TaskSerializer(KindSerializer):
    """Something someone must do, by a day or a moment, possibly about a client."""

    assignee = LinkField(
        source="owner",
        required=False,
        help_text="Who must do it (default: the caller). Someone else only within your role's "
        "scope for setting tasks (your branch, for a sales manager).",
    )
    author = LinkField(read_only=True, help_text="Who set it: the caller, on create.")
    company = LinkField(required=False, allow_null=True, help_text=_CLIENT_DOC)
    contact = LinkField(required=False, allow_null=True, help_text=_CLIENT_DOC)
    done = serializers.BooleanField(
        required=False,
        help_text="PATCH `done: true` marks it done (by you, now), `false` reopens it.",
    )
    checklist = ChecklistItemSerializer(many=True, required=False)

    class Meta:
        model = Task
        fields = (
            "id",
            "title",
            "description",
            "assignee",
            "author",
            "due_at",
            "due_date",
            "remind_at",
            "priority",
            "done",
            "done_at",
            "company",
            "contact",
            "recurrence",
            "checklist",
            *RECORD_FIELDS,
        )
        read_only_fields = ("id", "done_at", "created_at", "updated_at")
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "due_at": {"help_text": "A moment, when the task has a time; sets `due_date` too."},
            "due_date": {"help_text": "The day it is due (without a time: leave `due_at` out)."},
            "remind_at": {
                "help_text": "When to remind the assignee. A PATCH that moves `due_at` or "
                "`due_date` without `remind_at` moves the reminder by the same shift (to now, "
                "if that has passed), so it rings again before the new due moment."
            },
            "recurrence": {
                "help_text": "An RFC 5545 RRULE: `FREQ=WEEKLY;BYDAY=MO`, `FREQ=MONTHLY`…"
            },
        }

    def validate_recurrence(self, value: str) -> str:
        text = value.strip().removeprefix("RRULE:")
        if not text:
            return ""
        parts = text.split(";")
        keys = {part.partition("=")[0] for part in parts}
        frequency = next((p.partition("=")[2] for p in parts if p.startswith("FREQ=")), "")
        if (
            not all(_RRULE_PART.fullmatch(part) for part in parts)
            or len(keys) != len(parts)
            or frequency not in _FREQUENCIES
        ):
            raise serializers.ValidationError(
                _("Write a repeat rule as RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO.")
            )
        return text


@extend_schema_view(
    list=extend_schema(
        description="Newest first (by id).",
        parameters=[
            *_client_parameters(),
            OpenApiParameter("assignee", int, description="Assigned to this user."),
            OpenApiParameter("author", int, description="Set by this user."),
            OpenApiParameter("done", bool, description="Only done ones, or only open ones."),
            OpenApiParameter("priority", str, enum=Task.Priority.values),
            OpenApiParameter(
                "due_from", OpenApiTypes.DATE, description="Due on this day or later."
            ),
            OpenApiParameter(
                "due_to", OpenApiTypes.DATE, description="Due on this day or earlier."
            ),
        ],
    )
)
class TaskViewSet(KindViewSet):
    """Tasks assigned to you (or within your role's scope) and those you set for others."""

    serializer_class = TaskSerializer
    queryset = Task.objects.none()
    ordering_fields = kinds.sort_columns(TASK_FIELDS)

    def rows(self, user: User) -> QuerySet[Task]:
        return queries.api_rows(user, queries.tasks(user))

    def filtered(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        request = self.request
        rows = _by_client(request, rows)
        for param, column in (("assignee", "owner_id"), ("author", "author_id")):
            value = id_param(request, param)
            if value is not None:
                rows = rows.filter(**{column: value})
        done = bool_param(request, "done")
        if done is not None:
            rows = rows.filter(done_at__isnull=not done)
        priorities = choice_param(request, "priority", Task.Priority)
        if priorities:
            rows = rows.filter(priority__in=priorities)
        due_from, due_to = date_param(request, "due_from"), date_param(request, "due_to")
        if due_from is not None:
            rows = rows.filter(due_date__gte=due_from)
        if due_to is not None:
            rows = rows.filter(due_date__lte=due_to)
        return rows

    def _values(self, serializer: serializers.BaseSerializer) -> dict[str, Any]:  # type: ignore[type-arg]
        values = super()._values(serializer)
        if "checklist" in values:
            values["checklist"] = [dict(item) for item in values["checklist"]]
        return values

    @transaction.atomic
    def create_service(self, actor: User, values: dict[str, Any]) -> Task:
        done = values.pop("done", None)
        task = task_create(actor=actor, values=values)
        return task_complete(actor=actor, task=task) if done else task

    @transaction.atomic
    def update_service(self, actor: User, obj: Task, version: int, values: dict[str, Any]) -> Task:
        # An edit and a tick in one request: both or neither.
        done = values.pop("done", None)
        task = obj
        if values or done is None:
            task = task_update(actor=actor, task=task, version=version, values=values)
            version = task.version
        if done is True:
            task = task_complete(actor=actor, task=task, version=version)
        elif done is False:
            task = task_reopen(actor=actor, task=task, version=version)
        return task

    def trash_service(self, actor: User, obj: Task) -> None:
        task_trash(actor=actor, task=obj)


# --- Calendar events ---------------------------------------------------------------------------


class ParticipantsField(serializers.ListField):  # type: ignore[type-arg]
    """The ids of the people taking part, from the prefetched participant rows."""

    def get_attribute(self, instance: Any) -> Any:
        return [row.user_id for row in prefetched(instance, "eventparticipant_set")]


class EventSerializer(KindSerializer):
    """A meeting or any planned time in the calendar."""

    company = LinkField(required=False, allow_null=True, help_text=_CLIENT_DOC)
    contact = LinkField(required=False, allow_null=True, help_text=_CLIENT_DOC)
    organiser = LinkField(
        source="owner",
        required=False,
        help_text="Whose event it is (default: the caller); always among the participants.",
    )
    participants = ParticipantsField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=500,
        help_text="User ids. On write, replaces the list (the organiser always stays).",
    )

    class Meta:
        model = CalendarEvent
        fields = (
            "id",
            "title",
            "description",
            "starts_at",
            "ends_at",
            "all_day",
            "location",
            "company",
            "contact",
            "organiser",
            "participants",
            *RECORD_FIELDS,
        )
        read_only_fields = ("id", "created_at", "updated_at")


@extend_schema_view(
    list=extend_schema(
        description="In order of their start.",
        parameters=[
            *_client_parameters(),
            OpenApiParameter(
                "from",
                OpenApiTypes.DATETIME,
                description="Events still going on at or after this moment (a date: its start).",
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATETIME,
                description="Events starting before this moment (a date: its start). With "
                "`from`: every event overlapping the period.",
            ),
            OpenApiParameter("participant", int, description="This user takes part."),
            OpenApiParameter("organiser", int, description="This user's events."),
        ],
    )
)
class EventViewSet(KindViewSet):
    """Calendar events: yours, your colleagues' within your role's scope, and those you take
    part in."""

    serializer_class = EventSerializer
    queryset = CalendarEvent.objects.none()
    ordering = ("starts_at",)
    ordering_fields = kinds.sort_columns(EVENT_FIELDS)

    def rows(self, user: User) -> QuerySet[CalendarEvent]:
        return queries.api_rows(user, queries.events(user))

    def filtered(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        request = self.request
        rows = _by_client(request, rows)
        start, end = moment_param(request, "from"), moment_param(request, "to")
        if start is not None:
            # An event of no length (ends as it starts) at the very start still counts.
            rows = rows.filter(Q(ends_at__gt=start) | Q(starts_at__gte=start))
        if end is not None:
            rows = rows.filter(starts_at__lt=end)
        participant = id_param(request, "participant")
        if participant is not None:
            rows = rows.filter(eventparticipant__user_id=participant)
        organiser = id_param(request, "organiser")
        if organiser is not None:
            rows = rows.filter(owner_id=organiser)
        return rows

    def create_service(self, actor: User, values: dict[str, Any]) -> CalendarEvent:
        return event_create(actor=actor, values=values)

    def update_service(
        self, actor: User, obj: CalendarEvent, version: int, values: dict[str, Any]
    ) -> CalendarEvent:
        return event_update(actor=actor, event=obj, version=version, values=values)

    def trash_service(self, actor: User, obj: CalendarEvent) -> None:
        event_trash(actor=actor, event=obj)


# --- Refusal reasons ---------------------------------------------------------------------------


class RefusalReasonSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A reason an inquiry was not sold or a client refused."""

    class Meta:
        model = RefusalReason
        fields = ("id", "name", "position", "active")
        read_only_fields = fields


class RefusalReasonViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """The administered list of reasons an inquiry was not sold or a client refused: the ids an
    activity's `reason` takes. Every signed-in user reads it (it names no client)."""

    serializer_class = RefusalReasonSerializer
    queryset = RefusalReason.objects.order_by("position", "name", "id")
    pagination_class = None

    def get_object(self) -> RefusalReason:
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise NotFoundError()
        return access.one_or_404(self.get_queryset(), pk=pk)


__all__ = ["ActivityViewSet", "EventViewSet", "RefusalReasonViewSet", "TaskViewSet"]
