"""Abstract bases every business record builds on, plus the audit trail and record shares."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import BaseConstraint, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.core.prefetch import ReleasingQuerySet


class ReleasingManager(models.Manager[Any]):
    """A manager whose querysets let their prefetched rows go at the end of a request."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return ReleasingQuerySet(self.model, using=self._db, hints=self._hints)  # type: ignore[attr-defined]


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        abstract = True


class Versioned(models.Model):
    """Optimistic locking: every successful edit bumps ``version``; a stale one is refused."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class AliveManager(ReleasingManager):
    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeletable(models.Model):
    """Deleted records go to the trash (``deleted_at`` set) and can be restored."""

    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects: ClassVar[AliveManager] = AliveManager()
    all_objects: ClassVar[models.Manager[Any]] = ReleasingManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"


class Owned(models.Model):
    """A record with a responsible user and a branch: what access scopes are computed from."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class Record(TimeStamped, Versioned, SoftDeletable, Owned):
    """A scoped, versioned, audited business record (company, contact, and later deals...)."""

    #: the access-table entity this model is governed by, e.g. "companies"
    access_entity: ClassVar[str] = ""
    #: fields whose changes the audit trail records
    audited_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """Django's field checks, except that a link given as a record read from the database
        (the actor as owner, their branch, a client resolved under the access rule) is not
        looked up again: Django's check reads every link once more, a round trip per link on
        every checked write. The database's foreign keys still refuse a missing one."""
        skip = set(exclude or ())
        for field in self._meta.concrete_fields:
            if field.many_to_one and _read_link(self, field):
                skip.add(field.name)
        super().clean_fields(exclude=skip)

    def get_constraints(self) -> list[tuple[type[models.Model], Sequence[BaseConstraint]]]:
        # What Django checks with a query: all but what validate_constraints decides itself.
        return [
            (model, [c for c in constraints if _emptiness_fields(self, c) is None])
            for model, constraints in super().get_constraints()
        ]

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        """Django's constraint checks, except that a check asking only which fields are empty
        (an activity names a company or a contact) is decided from the values in hand: Django
        asks the database, a round trip and more query building than the rest of the check,
        on every checked write. Skipped, as Django skips it, if a field it tests is excluded."""
        errors: dict[str, Any] = {}
        for _model, constraints in super().get_constraints():
            for constraint in constraints:
                fields = _emptiness_fields(self, constraint)
                if fields is None or fields & set(exclude or ()):
                    continue
                if not _holds(constraint.condition, self):  # type: ignore[attr-defined]
                    errors = ValidationError(
                        constraint.get_violation_error_message(),
                        code=constraint.violation_error_code,
                    ).update_error_dict(errors)
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _emptiness_fields(obj: models.Model, constraint: Any) -> set[str] | None:
    """The names of the fields a check constraint of ``obj``'s tests, if it is made only of
    ``<field>__isnull`` tests (with AND, OR, NOT) on ``obj``'s own columns holding plain values;
    else None (Django checks it)."""
    if not isinstance(constraint, models.CheckConstraint) or not isinstance(
        constraint.condition, Q
    ):
        return None
    names: set[str] = set()
    pending = [constraint.condition]
    while pending:
        condition = pending.pop()
        if condition.connector not in (Q.AND, Q.OR):
            return None
        for child in condition.children:
            if isinstance(child, Q):
                pending.append(child)
                continue
            lookup, wanted = child  # type: ignore[misc]
            field = _local_column(obj, str(lookup).removesuffix("__isnull"))
            if not str(lookup).endswith("__isnull") or field is None or type(wanted) is not bool:
                return None
            if hasattr(getattr(obj, field.attname), "resolve_expression"):
                return None  # an expression (a database default): the database's to decide
            names.add(field.name)
    return names


def _local_column(obj: models.Model, name: str) -> Any:
    for field in obj._meta.local_concrete_fields:
        if name in (field.name, field.attname) and not field.generated:
            return field
    return None


def _holds(condition: Q, obj: models.Model) -> bool:
    """A condition of ``__isnull`` tests (see :func:`_emptiness_fields`) for ``obj``'s values,
    as SQL reads it."""
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(_holds(child, obj))
        else:
            lookup, wanted = child  # type: ignore[misc]
            field = _local_column(obj, str(lookup).removesuffix("__isnull"))
            results.append((getattr(obj, field.attname) is None) == wanted)
    result = all(results) if condition.connector == Q.AND else any(results)
    return not result if condition.negated else result


def _read_link(obj: models.Model, field: Any) -> bool:
    """Does ``obj``'s foreign key ``field`` hold a record read from (or saved to) the database,
    the very one its id names, and no ``limit_choices_to`` that Django's check would apply?"""
    if not field.is_cached(obj) or field.get_limit_choices_to():
        return False
    target = field.get_cached_value(obj)
    return (
        target is not None
        and not target._state.adding
        and getattr(target, field.target_field.attname) == getattr(obj, field.attname)
    )


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("moved to trash")
        RESTORE = "restore", _("restored")
        PURGE = "purge", _("deleted for good")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOCKOUT = "lockout", _("locked out")
        SHARE = "share", pgettext_lazy("audit action", "shared")
        UNSHARE = "unshare", _("share removed")
        EXPORT = "export", _("exported")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField(_("record"), max_length=300, blank=True)
    #: {"field": [old, new]} with values as shown to people
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    #: the record's version after this change, so a conflict can show what came since
    version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-id"], name="audit_record_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class RecordShare(models.Model):
    """Lets a user, a team or a whole branch see and edit one record outside their scope."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    branch = models.ForeignKey(
        "accounts.Branch",
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    until = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        indexes = [models.Index(fields=["content_type", "object_id"], name="share_record_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, team__isnull=True, branch__isnull=True)
                    | models.Q(user__isnull=True, team__isnull=False, branch__isnull=True)
                    | models.Q(user__isnull=True, team__isnull=True, branch__isnull=False)
                ),
                name="share_exactly_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} → {self.target}"

    @property
    def target(self) -> object:
        return self.user or self.team or self.branch


class Batch(models.Model):
    """One named bulk change (reassign, replace a field, tag, delete) that can be undone as one."""

    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: counts and anything else worth showing in the list of batches
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class BatchChange(models.Model):
    """One record's field changed by a batch: enough to put it back, unless changed since."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="changes")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    field = models.CharField(max_length=100)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    #: the record's version right after the batch changed it; an undo of a later batch that
    #: puts the record back as this batch left it moves this on to the undo's version
    version_after = models.PositiveIntegerField(null=True, blank=True)
    #: the record's version when the batch read it (as the batches beneath it left it)
    version_before = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("bulk change item")
        verbose_name_plural = _("bulk change items")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="batchchange_record_idx")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.content_type_id}:{self.object_id}.{self.field}"


class ImmutableEventError(Exception):
    """Domain events are facts: once written they are never changed or deleted."""


class DomainEvent(models.Model):
    """One typed, immutable fact about a record (created, changed, trashed, merged, shared...).

    Appended by services inside their transaction and read back as typed objects through
    :mod:`kartoteka.core.events`; the timeline renders a record's history from these rows.
    There is deliberately no way to change or delete one through the model.
    """

    #: the stable code of the event's type, e.g. "record.changed"
    type = models.CharField(_("type"), max_length=60)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    #: the event's own fields, JSON-ready
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-id"], name="event_record_idx")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.content_type_id}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A guard, not a side effect: an event already written is a fact and stays as it is.
        if not self._state.adding:
            raise ImmutableEventError("a domain event cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableEventError("a domain event cannot be deleted")


class JobRun(models.Model):
    """One long piece of background work someone started, with its progress and outcome."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", pgettext_lazy("job state", "done")
        FAILED = "failed", _("failed")

    #: what the job does, as a code: "search.rebuild", "group_rule.apply"
    kind = models.CharField(_("kind"), max_length=60)
    #: what the job does, as its starter reads it
    title = models.CharField(_("title"), max_length=300)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="queued")
    done = models.PositiveIntegerField(_("items done"), default=0)
    total = models.PositiveIntegerField(_("items in all"), null=True, blank=True)
    #: what went wrong, as the starter reads it
    error = models.TextField(_("error"), blank=True)
    #: the outcome as the starter reads it ("The rule changed 120 clients.")
    message = models.CharField(_("result"), max_length=500, blank=True)
    #: the outcome for programs, e.g. {"changed": 120}
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["started_by", "-id"], name="jobrun_starter_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int | None:
        """How far along, 0-100; None while the amount of work is not known yet."""
        if self.state == self.State.DONE:
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)


# The search index's table is core's; its code lives with the rest of search.
from kartoteka.core.notification_models import Delivery as Delivery  # noqa: E402
from kartoteka.core.notification_models import JobMark as JobMark  # noqa: E402
from kartoteka.core.notification_models import Notification as Notification  # noqa: E402
from kartoteka.core.notification_models import (  # noqa: E402
    NotificationPreference as NotificationPreference,
)
from kartoteka.core.search.document import SearchDocument as SearchDocument  # noqa: E402
