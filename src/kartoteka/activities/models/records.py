"""What happened with a client (activities), what must happen next (tasks), and the calendar.

Activities, tasks and calendar events are record kinds: owned, branched, versioned, audited,
trashable, scoped by the access table. Each adds to the role's scope through ``access_extra``:

- an activity exists for a user only while its client (company and/or contact) is visible to
  them, so the timeline of a hidden client leaks nothing; its owner is its author;
- a task's owner is its assignee; whoever set it (its author) also sees it;
- a calendar event's owner is its organiser; its participants also see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.core.dates import validate_working_date
from kartoteka.core.indexes import NullsIndex
from kartoteka.core.models import Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def _client_condition(user: User, through: str) -> Q:
    """Rows whose company and contact (where set) ``user`` may see and are not in the trash."""
    from kartoteka.clients.models import Company, Contact
    from kartoteka.core import access

    parts = Q()
    for name, model in (("company", Company), ("contact", Contact)):
        seen = access.visible(user, model, through=f"{through}{name}__")
        if seen is None:
            parts &= Q(**{f"{through}{name}__isnull": True})
        else:
            parts &= Q(**{f"{through}{name}__isnull": True}) | (
                seen & Q(**{f"{through}{name}__deleted_at__isnull": True})
            )
    return parts


class RefusalReason(models.Model):
    """Why a client refused, or why an inquiry was not sold: an administered list."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("refusal reason")
        verbose_name_plural = _("refusal reasons")
        ordering = ("position", "name")

    def __str__(self) -> str:
        return self.name


class Activity(Record):
    """One thing that happened with a client: a call, meeting, email, note or inquiry."""

    class Type(models.TextChoices):
        CALL = "call", pgettext_lazy("activity", "Call")
        MEETING = "meeting", pgettext_lazy("activity", "Meeting")
        EMAIL = "email", pgettext_lazy("activity", "Email")
        NOTE = "note", pgettext_lazy("activity", "Note")
        INQUIRY = "inquiry", pgettext_lazy("activity", "Inquiry")

    class Direction(models.TextChoices):
        INCOMING = "in", _("incoming")
        OUTGOING = "out", _("outgoing")

    class Outcome(models.TextChoices):
        # calls
        REACHED = "reached", _("reached")
        NO_ANSWER = "no_answer", _("no answer")
        BUSY = "busy", _("busy")
        VOICEMAIL = "voicemail", _("voicemail")
        # inquiries
        SOLD = "sold", _("sold")
        NOT_IN_STOCK = "not_in_stock", _("not in stock")
        REFUSED = "refused", _("refused")
        PENDING = "pending", _("pending")

    type = models.CharField(_("type"), max_length=16, choices=Type.choices, db_index=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    occurred_at = models.DateTimeField(
        _("when"), default=timezone.now, validators=[validate_working_date]
    )
    company = models.ForeignKey(
        "clients.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, blank=True
    )
    #: seconds
    duration = models.PositiveIntegerField(_("duration"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    #: what came of a meeting or call, in words
    result = models.TextField(_("result"), blank=True)
    reason = models.ForeignKey(
        RefusalReason,
        verbose_name=_("reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: what an inquiry asked for, in the client's words (a product link once the catalogue exists)
    product_text = models.CharField(_("product asked for"), max_length=300, blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants"), blank=True, related_name="+"
    )
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)

    access_entity: ClassVar[str] = "activities"
    audited_fields: ClassVar[tuple[str, ...]] = (
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
        "owner",
        "branch",
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["company", "-occurred_at", "-id"], name="activity_company_time"),
            models.Index(fields=["contact", "-occurred_at", "-id"], name="activity_contact_time"),
            models.Index(fields=["owner", "-occurred_at"], name="activity_owner_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=False) | Q(contact__isnull=False),
                name="activity_has_a_client",
            )
        ]

    def __str__(self) -> str:
        return self.subject or str(self.get_type_display())

    @property
    def author_id(self) -> int | None:
        """The activity's author is its owner."""
        return self.owner_id  # type: ignore[attr-defined, no-any-return]

    @classmethod
    def access_extra(cls, user: User, action: str, through: str) -> tuple[Q | None, Q | None]:
        return None, _client_condition(user, through)


class Task(Record):
    """Something someone must do, by a date or a moment; its owner is its assignee."""

    class Priority(models.TextChoices):
        LOW = "low", _("low")
        NORMAL = "normal", _("normal")
        HIGH = "high", _("high")

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: a moment, when the task has a time; its local date is then also in ``due_date``
    due_at = models.DateTimeField(
        _("due at"), null=True, blank=True, validators=[validate_working_date]
    )
    due_date = models.DateField(
        _("due date"), null=True, blank=True, validators=[validate_working_date]
    )
    remind_at = models.DateTimeField(
        _("remind at"), null=True, blank=True, validators=[validate_working_date]
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    company = models.ForeignKey(
        "clients.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    #: an RFC 5545 RRULE ("FREQ=WEEKLY;BYDAY=MO"); done, the next occurrence is created
    recurrence = models.CharField(_("repeats"), max_length=300, blank=True)
    #: [{"text": "...", "done": false}, ...]
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    #: the activity this task is the next step of
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("next step of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_steps",
        # Most tasks are no activity's next step: the partial index below serves the lookups,
        # where a full one on a mostly-NULL column makes SQLite's planner scan instead.
        db_index=False,
    )
    #: the occurrence of a repeating task whose completion created this one (at most one each)
    follows = models.OneToOneField(
        "self",
        verbose_name=_("previous occurrence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_occurrence",
    )

    access_entity: ClassVar[str] = "tasks"
    audited_fields: ClassVar[tuple[str, ...]] = (
        "title",
        "description",
        "due_at",
        "due_date",
        "remind_at",
        "priority",
        "done_at",
        "company",
        "contact",
        "recurrence",
        "checklist",
        "owner",
        "branch",
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # The open tasks in the order "My day" and the task list show them (see
            # ``queries.by_due``): a bucket's first 30 rows are the index's first 30 entries,
            # and its count reads the index alone, however many tasks one has let slip.
            # (It replaced an (owner, done_at, due_date) index, which SQLite's planner kept
            # choosing for these ranges, then sorting; done tasks have their own below.)
            NullsIndex(
                F("owner"),
                F("due_date"),
                F("due_at").asc(nulls_first=True),
                F("id"),
                condition=Q(done_at__isnull=True, deleted_at__isnull=True),
                name="task_open_due",
            ),
            # One's done tasks, latest first (the task list's "Done" tab), read backwards.
            models.Index(
                fields=["owner", "done_at", "id"],
                condition=Q(done_at__isnull=False),
                name="task_owner_done",
            ),
            models.Index(fields=["remind_at"], name="task_remind_at"),
            # Only tasks on a client: most tasks have no company (or no contact), and SQLite's
            # statistics then made a skip-scan over the empty key look cheaper than "My day"'s
            # own index (task_open_due) — 10 ms instead of 0.1 ms per list for a busy manager.
            models.Index(
                fields=["company", "-done_at"],
                condition=Q(company__isnull=False),
                name="task_company_done",
            ),
            models.Index(
                fields=["contact", "-done_at"],
                condition=Q(contact__isnull=False),
                name="task_contact_done",
            ),
            models.Index(
                fields=["activity"],
                condition=Q(activity__isnull=False),
                name="task_next_step_of",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def assignee_id(self) -> int | None:
        return self.owner_id  # type: ignore[attr-defined, no-any-return]

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @classmethod
    def access_extra(cls, user: User, action: str, through: str) -> tuple[Q | None, Q | None]:
        # Whoever set a task follows it and may correct it; only its assignee's scope deletes.
        if action in ("view", "edit"):
            return Q(**{f"{through}author": user.pk}), None
        return None, None


class TaskComment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.body[:50]


class CalendarEvent(Record):
    """A meeting or any planned time in the calendar; its owner is its organiser."""

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"), validators=[validate_working_date])
    ends_at = models.DateTimeField(_("ends"), validators=[validate_working_date])
    all_day = models.BooleanField(_("all day"), default=False)
    location = models.CharField(_("place"), max_length=300, blank=True)
    company = models.ForeignKey(
        "clients.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_events",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_events",
    )
    participants: models.ManyToManyField[User, EventParticipant] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participants"),
        blank=True,
        through="EventParticipant",
        related_name="calendar_events",
    )
    #: minutes before the start to remind participants; None: no reminder
    remind_before = models.PositiveIntegerField(_("remind before (minutes)"), null=True, blank=True)
    recurrence = models.CharField(_("repeats"), max_length=300, blank=True)
    #: the UID of an imported iCalendar event (a second import updates instead of duplicating)
    ical_uid = models.CharField(max_length=300, blank=True, db_index=True)
    #: which occurrence of a repeating imported event this is: its original start as iCalendar
    #: text (``20121002T170000Z``, ``20141210`` for a day); empty for a one-off event
    ical_recurrence_id = models.CharField(max_length=40, blank=True)

    access_entity: ClassVar[str] = "events"
    audited_fields: ClassVar[tuple[str, ...]] = (
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
        "owner",
        "branch",
    )

    class Meta:
        verbose_name = _("calendar event")
        verbose_name_plural = _("calendar events")
        indexes = [
            models.Index(fields=["owner", "starts_at"], name="event_owner_start"),
            models.Index(fields=["starts_at"], name="event_start"),
            # Events still running at a moment (``ends_at`` after it, ``starts_at`` before it):
            # the unfinished ones' entries only, however long the calendar's history.
            models.Index(fields=["ends_at", "starts_at"], name="event_end_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def access_extra(cls, user: User, action: str, through: str) -> tuple[Q | None, Q | None]:
        if action == "view":
            mine = EventParticipant.objects.filter(user=user.pk).values("event_id")
            return Q(**{f"{through}pk__in": mine}), None
        return None, None


class EventParticipant(models.Model):
    event = models.ForeignKey(CalendarEvent, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_participations"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="event_participant_once")
        ]
        indexes = [models.Index(fields=["user", "event"], name="participant_user_event")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.user_id}"  # type: ignore[attr-defined]
