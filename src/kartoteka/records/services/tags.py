"""Tags as a shared vocabulary that administrators tidy: create, rename, recolour, delete.

Tags are also created on the fly by name (forms, the API, group rules); this is where they are
managed. Like the other card file settings it needs "edit" on roles, and every change is audited.
A tag's name is part of the search documents of the records that carry it, so renaming or deleting
one re-indexes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.core import access, audit, kinds
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry
from kartoteka.core.search.background import index_many_later
from kartoteka.core.text import fold
from kartoteka.records.models import GroupRule, Tag

AUDITED = ("name", "color")
#: the longest tag name (the column's length)
TAG_NAME_LIMIT = 60
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Tags are drawn as white text on their colour, so a colour must keep that text readable
#: (WCAG AA asks 4.5:1 for small text).
MIN_CONTRAST = 4.5


def _require_admin(actor: User) -> None:
    if not access.has_any(actor, "settings", "edit"):
        raise ForbiddenError()


def _count(links: QuerySet[Any]) -> Subquery:
    # One correlated count per tag and model keeps the list at one query whatever the data size;
    # joining both relations and counting distinct rows would multiply them instead.
    counted = links.order_by().values("tag_id").annotate(holders=Count("id")).values("holders")
    return Subquery(counted, output_field=IntegerField())


def _links(kind: kinds.RecordKind) -> Any:
    """The rows linking ``kind``'s records to their tags (its many-to-many's through model)."""
    options: Any = kind.model._meta  # any record kind with tags: not one model's fields
    return options.get_field("tags").remote_field.through


def _record_column(kind: kinds.RecordKind) -> str:
    options: Any = kind.model._meta
    return str(options.get_field("tags").m2m_field_name())


def tags_with_usage() -> QuerySet[Tag]:
    """Every tag with how many records of each kind (not in the trash) carry it: ``usage_<entity>``
    (read them with :func:`usage`)."""
    counts = {}
    for kind in kinds.kinds_with("tags"):
        record = _record_column(kind)
        links = _links(kind).objects.filter(
            tag_id=OuterRef("pk"), **{f"{record}__deleted_at__isnull": True}
        )
        counts[f"usage_{kind.entity}"] = Coalesce(_count(links), Value(0))
    return Tag.objects.annotate(**counts).order_by("name")


def usage(tag: Tag) -> list[tuple[kinds.RecordKind, int]]:
    """(kind, records carrying it) of a tag read through :func:`tags_with_usage`."""
    return [
        (kind, int(getattr(tag, f"usage_{kind.entity}", 0) or 0))
        for kind in kinds.kinds_with("tags")
    ]


def white_text_contrast(color: str) -> float:
    """The contrast ratio of white text on ``color`` (#rrggbb), per WCAG 2."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def tag_name(name: str) -> str:
    """A tag's name as it is kept: spaces trimmed and runs of them made one."""
    return " ".join(name.split())


def tags_named(
    names: Iterable[str], errors: dict[str, list[str]], field: str = "tags"
) -> list[Tag]:
    """The tags ``names`` mean, for a form, the API, a bulk change or a rule; reads only.

    A name finds its tag as :func:`tag_save` compares names (any case, ё as е), so "поволжье"
    is the tag "Поволжье", not a second one. A name no tag has yet gives an unsaved tag, which
    :func:`tags_create_named` creates inside the change's transaction, once the whole change
    is known to be valid: a change refused for another field creates no tag. Bad names are
    reported in ``errors[field]``.
    """
    wanted: dict[str, str] = {}
    for raw in names:
        name = tag_name(str(raw))
        if not name:
            continue
        if len(name) > TAG_NAME_LIMIT:
            errors.setdefault(field, []).append(
                _("%(name)s…: at most %(limit)d characters.")
                % {"name": name[:20], "limit": TAG_NAME_LIMIT}
            )
            continue
        wanted.setdefault(fold(name), name)
    if not wanted:
        return []
    # Compared in Python, as in _check: tags are a vocabulary of tens, not a table of millions.
    known = {fold(tag.name): tag for tag in Tag.objects.all()}
    return [known.get(key) or Tag(name=name) for key, name in wanted.items()]


def tags_create_named(*, actor: User | None, tags: Iterable[Tag]) -> None:
    """Create the unsaved tags among ``tags`` (see :func:`tags_named`), each audited as created
    by ``actor``, as one an administrator adds on the tags page is. Call inside the change's
    transaction, after its validation."""
    for tag in tags:
        if tag.pk is not None:
            continue
        try:
            with transaction.atomic():
                tag.save()
        except IntegrityError:
            # Another change created the same name a moment ago: this one uses it.
            existing = Tag.objects.get(name=tag.name)
            tag.pk, tag.color = existing.pk, existing.color
            tag._state.adding = False
            continue
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=tag,
            changes={key: [None, value] for key, value in audit.snapshot(tag, AUDITED).items()},
        )


def _check(name: str, color: str, tag: Tag | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = tag_name(name)
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > TAG_NAME_LIMIT:
        errors["name"] = [_("At most 60 characters.")]
    elif fold(name) in {
        # Compared in Python: SQLite folds the case of Latin letters only. Tags are a vocabulary
        # of tens, not a table of millions.
        fold(other)
        for other in Tag.objects.exclude(pk=tag.pk if tag else 0).values_list("name", flat=True)
    }:
        errors["name"] = [_("A tag with this name exists already.")]
    color = color.strip().lower()
    if not COLOR.match(color):
        errors["color"] = [_("A colour like #1d5fc4.")]
    elif (tag is None or color != tag.color.lower()) and white_text_contrast(color) < MIN_CONTRAST:
        errors["color"] = [_("Pick a darker colour: white text on it would be hard to read.")]
    if errors:
        raise DomainError(fields=errors)
    return {"name": name, "color": color}


def _holders(tag: Tag) -> dict[kinds.RecordKind, list[int]]:
    """Ids of the records of each kind that carry the tag (trashed ones too: they come back)."""
    return {
        kind: list(
            _links(kind)
            .objects.filter(tag=tag)
            .values_list(f"{_record_column(kind)}_id", flat=True)
        )
        for kind in kinds.kinds_with("tags")
    }


def tag_save(*, actor: User, tag: Tag | None, name: str, color: str) -> Tag:
    """Create a tag or rename/recolour one (administrators); the records carrying it keep it."""
    _require_admin(actor)
    clean = _check(name, color, tag)
    with transaction.atomic():
        if tag is None:
            tag = Tag.objects.create(**clean)
            audit.record(
                actor=actor,
                action=AuditEntry.Action.CREATE,
                obj=tag,
                changes={key: [None, value] for key, value in clean.items()},
            )
            return tag
        tag = Tag.objects.select_for_update().get(pk=tag.pk)
        before = audit.snapshot(tag, AUDITED)
        tag.name, tag.color = clean["name"], clean["color"]
        tag.save(update_fields=["name", "color"])
        changes = audit.diff(before, audit.snapshot(tag, AUDITED))
        if changes:
            audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=tag, changes=changes)
        if "name" in changes:
            for kind, ids in _holders(tag).items():
                index_many_later(kind.model, ids, actor=actor)  # a job when there are many
    return tag


def tag_delete(*, actor: User, tag: Tag) -> dict[str, int]:
    """Delete a tag and take it off every record; returns how many records of each kind
    ({"companies": 3, ...}) carried it.

    Refused while a group rule adds the tag: deleting it would silently delete the rule too.
    """
    _require_admin(actor)
    rules = list(GroupRule.objects.filter(tag=tag).values_list("name", flat=True))
    if rules:
        raise DomainError(
            _("Group rules add this tag: %(rules)s. Change or delete them first.")
            % {"rules": ", ".join(f"“{name}”" for name in rules)}
        )
    with transaction.atomic():
        holders = _holders(tag)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.PURGE,
            obj=tag,
            changes={
                **{key: [value, None] for key, value in audit.snapshot(tag, AUDITED).items()},
                **{kind.entity: [len(ids), None] for kind, ids in holders.items()},
            },
        )
        tag.delete()
        for kind, ids in holders.items():
            index_many_later(kind.model, ids, actor=actor)  # a job when there are many
    return {kind.entity: len(ids) for kind, ids in holders.items()}
