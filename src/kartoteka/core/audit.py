"""The audit trail: who did what, when, with each field's old and new value."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kartoteka.core.models import AuditEntry

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def display_value(obj: models.Model, field_name: str) -> Any:
    """A field's value as a person would read it: choices by label, relations by name."""
    field = obj._meta.get_field(field_name)
    if isinstance(field, models.ForeignKey):
        related = getattr(obj, field_name)
        return str(related) if related is not None else None
    value = getattr(obj, field_name)
    choices = getattr(field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value)) if value not in (None, "") else value
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def stored_value(obj: models.Model, field_name: str) -> Any:
    """A field's value as the trail keeps it: relations by name, choices by their code (read in
    the reader's language by :mod:`kartoteka.core.audit_text`), dates in ISO form."""
    field = obj._meta.get_field(field_name)
    if getattr(field, "choices", None) and not isinstance(field, models.ForeignKey):
        return getattr(obj, field_name)
    return display_value(obj, field_name)


def snapshot(obj: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: stored_value(obj, name) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, list[Any]] | None = None,
    object_repr: str = "",
) -> AuditEntry:
    """Write one audit entry; services call this inside their transaction."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj._meta.model)
        if obj is not None
        else None,
        object_id=obj.pk if obj is not None else None,
        object_repr=(object_repr or str(obj))[:300] if obj is not None else object_repr[:300],
        changes=changes or {},
        version=getattr(obj, "version", None),
    )


#: the key that marks an audit value as naming another record (see :func:`link`)
LINK = "link"


def link(obj: models.Model, text: str) -> dict[str, Any]:
    """An audit value naming another record (a contact's employer, a company's person).

    Stored with the record's identity so a reader who may not see that record reads a neutral
    placeholder instead of its name (:func:`shown_to`), however the record changed since.
    """
    return {LINK: obj._meta.label_lower, "id": obj.pk, "text": text}


def is_link(value: Any) -> bool:
    return isinstance(value, dict) and LINK in value and "id" in value


def hidden_label() -> str:
    return _("hidden record")


def _items(changes: dict[str, Any]) -> Iterable[Any]:
    for pair in changes.values():
        for value in pair if isinstance(pair, list) else [pair]:
            yield from value if isinstance(value, list) else [value]


def _visible_links(viewer: User | None, links: list[dict[str, Any]]) -> set[tuple[str, int]]:
    """Which of ``links`` ``viewer`` may see: one query per kind of record linked."""
    from kartoteka.core import access

    wanted: dict[str, set[int]] = {}
    for item in links:
        wanted.setdefault(str(item[LINK]), set()).add(int(item["id"]))
    seen: set[tuple[str, int]] = set()
    if viewer is None:
        return seen
    for label, ids in wanted.items():
        try:
            model = apps.get_model(label)
            access.entity_of(model)
        except (LookupError, ValueError, TypeError):
            continue  # not a governed record kind: nobody reads its name from the trail
        # A record in the trash is named only to those who may see the trash (in their scope).
        manager = model._default_manager
        if hasattr(model, "all_objects") and access.has_any(viewer, "trash", "view"):
            manager = model.all_objects
        visible = access.scoped(manager.filter(pk__in=ids), viewer)
        seen.update((label, pk) for pk in visible.values_list("pk", flat=True))
    return seen


def _render(value: Any, seen: set[tuple[str, int]]) -> Any:
    if isinstance(value, list):
        return [_render(item, seen) for item in value]
    if is_link(value):
        known = (str(value[LINK]), int(value["id"])) in seen
        return str(value.get("text", "")) if known else hidden_label()
    return value


def shown_changes(changes: dict[str, Any], seen: set[tuple[str, int]]) -> dict[str, Any]:
    return {name: _render(pair, seen) for name, pair in changes.items()}


def shown_to(viewer: User | None, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """``entries`` as ``viewer`` may read them: each value naming another record reads as that
    record's name only if the viewer may see it, else as "hidden record".

    For every display of the trail (card history, audit pages and API, conflict answers);
    a fixed number of queries whatever the number of entries and links.
    """
    rows = list(entries)
    links = [item for entry in rows for item in _items(entry.changes or {}) if is_link(item)]
    seen = _visible_links(viewer, links) if links else set()
    for entry in rows:
        if entry.changes:
            entry.changes = shown_changes(entry.changes, seen)
    return rows


def entries_for(obj: models.Model) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj._meta.model), object_id=obj.pk
    ).select_related("actor", "content_type")


def changes_since(
    obj: models.Model, version: int, viewer: User | None = None
) -> list[dict[str, Any]]:
    """What others changed after ``version``: shown to ``viewer``, whose edit collided (names
    of records they may not see read as "hidden record")."""
    rows = shown_to(viewer, entries_for(obj).filter(version__gt=version).order_by("id"))
    return [
        {
            "at": entry.at.isoformat(),
            "who": str(entry.actor) if entry.actor else "",
            "version": entry.version,
            "changes": entry.changes,
        }
        for entry in rows
    ]


def readable_by(viewer: User, *, person: str = "actor") -> Q | None:
    """Whose audit entries ``viewer`` may read, as a filter on ``person`` (an entry's author).

    The audit grant's scope is about authors: own = entries one made oneself; team = made by
    oneself or one's teams' members; branch = made by the people of one's branch; all = the whole
    trail (entries by nobody, such as failed logins, included). ``person=""`` filters users.
    None means nothing at all.
    """
    from kartoteka.core import access

    scopes = access.scopes_for(viewer, "audit", "view")
    if "all" in scopes:
        return Q()
    pk = f"{person}_id" if person else "pk"
    branch = f"{person}__branch_id" if person else "branch_id"
    parts: list[Q] = []
    if scopes & {"own", "team"}:
        parts.append(Q(**{pk: viewer.pk}))
    if "team" in scopes:
        teammates = get_user_model().objects.filter(teams__members=viewer).values("pk")
        parts.append(Q(**{f"{pk}__in": teammates}))
    if "branch" in scopes:
        parts.append(Q(**{branch: viewer.branch_id}))  # type: ignore[attr-defined]
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined
