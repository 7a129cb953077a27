"""How a batch reads a stored value, writes it back and shows it, per kind of field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from kartoteka.core.batches.types import _GROUPED_UPDATES, CHUNK
from kartoteka.core.models import Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


class _Field:
    """One kind of changeable field; values are stored JSON-ready in :class:`BatchChange`."""

    is_column = False

    def __init__(self, model: type[Record], name: str) -> None:
        self.model = model
        self.name = name

    def prepare(self, records: Sequence[Record]) -> None:
        """Load what ``read`` needs for these records (at most one query)."""

    def read(self, record: Record) -> Any:
        raise NotImplementedError

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        raise NotImplementedError

    def shown(self, values: set[Any]) -> dict[Any, Any]:
        """Stored values as people read them, for the audit trail (at most one query)."""
        return {value: value for value in values}

    def audit_changes(
        self, record: Record, old: Any, new: Any, shown: dict[Any, Any]
    ) -> dict[str, list[Any]]:
        return {self.name: [shown.get(old, old), shown.get(new, new)]}


class _Column(_Field):
    """A plain or foreign-key column; a foreign key is stored as the related id."""

    is_column = True

    def __init__(self, model: type[Record], name: str) -> None:
        super().__init__(model, name)
        self.field = model._meta.get_field(name)
        self.attname = self.field.attname  # type: ignore[union-attr]

    def read(self, record: Record) -> Any:
        return getattr(record, self.attname)

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        raise NotImplementedError("columns are written together by _write_columns")

    def shown(self, values: set[Any]) -> dict[Any, Any]:
        if isinstance(self.field, models.ForeignKey):
            related = self.field.related_model._default_manager.filter(  # type: ignore[union-attr]
                pk__in=[value for value in values if value is not None]
            )
            names: dict[Any, Any] = {obj.pk: str(obj) for obj in related}
            return {value: names.get(value) for value in values}
        choices = dict(self.field.choices or ())  # type: ignore[union-attr]
        return {value: str(choices.get(value, value)) if choices else value for value in values}


class _CustomValue(_Field):
    """``custom_fields.<code>``: one value inside the record's JSON of custom field values."""

    def __init__(self, model: type[Record], name: str) -> None:
        super().__init__(model, name)
        self.code = name.split(".", 1)[1]

    def read(self, record: Record) -> Any:
        return (getattr(record, "custom_fields", None) or {}).get(self.code)

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        for record, value in rows:
            values = dict(getattr(record, "custom_fields", None) or {})
            if value in (None, "", []):
                values.pop(self.code, None)
            else:
                values[self.code] = value
            record.custom_fields = values  # type: ignore[attr-defined]
        # Each record keeps its other values, so one CASE update per chunk, not one per record.
        self.model.all_objects.bulk_update(
            [record for record, _value in rows], ["custom_fields"], batch_size=CHUNK
        )

    def audit_changes(
        self, record: Record, old: Any, new: Any, shown: dict[Any, Any]
    ) -> dict[str, list[Any]]:
        values = dict(getattr(record, "custom_fields", None) or {})
        before, after = dict(values), dict(values)
        for target, value in ((before, old), (after, new)):
            if value in (None, "", []):
                target.pop(self.code, None)
            else:
                target[self.code] = value
        return {"custom_fields": [before, after]}


class _Membership(_Field):
    """``<many-to-many>.<id>``, e.g. ``tags.7``: is the record linked to that one object?"""

    def __init__(self, model: type[Record], name: str) -> None:
        super().__init__(model, name)
        relation, _dot, target = name.partition(".")
        self.relation = relation
        self.target_id = int(target)
        m2m = model._meta.get_field(relation)
        self.through = m2m.remote_field.through  # type: ignore[union-attr]
        self.source = m2m.m2m_field_name() + "_id"  # type: ignore[union-attr]
        self.target = m2m.m2m_reverse_field_name() + "_id"  # type: ignore[union-attr]
        self.related_model = m2m.related_model
        self.linked: set[int] = set()

    def prepare(self, records: Sequence[Record]) -> None:
        self.linked = set(
            self.through.objects.filter(
                **{f"{self.source}__in": [record.pk for record in records]},
                **{self.target: self.target_id},
            ).values_list(self.source, flat=True)
        )

    def read(self, record: Record) -> Any:
        return record.pk in self.linked

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        add = [record.pk for record, value in rows if value]
        remove = [record.pk for record, value in rows if not value]
        if add:
            self.through.objects.bulk_create(
                [self.through(**{self.source: pk, self.target: self.target_id}) for pk in add],
                ignore_conflicts=True,
            )
        if remove:
            self.through.objects.filter(
                **{f"{self.source}__in": remove}, **{self.target: self.target_id}
            ).delete()

    def audit_changes(
        self, record: Record, old: Any, new: Any, shown: dict[Any, Any]
    ) -> dict[str, list[Any]]:
        name = shown.get("name", "")
        return {self.relation: [name if old else None, name if new else None]}

    def shown(self, values: set[Any]) -> dict[Any, Any]:
        target = self.related_model._default_manager.filter(pk=self.target_id).first()  # type: ignore[union-attr]
        return {"name": str(target) if target is not None else ""}


class _Trash(_Field):
    """``deleted_at``: in the trash (an ISO timestamp) or not (``None``)."""

    def read(self, record: Record) -> Any:
        return record.deleted_at.isoformat() if record.deleted_at else None

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        trash = [record.pk for record, value in rows if value]
        restore = [record.pk for record, value in rows if not value]
        if trash:
            self.model.all_objects.filter(pk__in=trash).update(
                deleted_at=timezone.now(), deleted_by=actor
            )
        if restore:
            self.model.all_objects.filter(pk__in=restore).update(deleted_at=None, deleted_by=None)

    def audit_changes(
        self, record: Record, old: Any, new: Any, shown: dict[Any, Any]
    ) -> dict[str, list[Any]]:
        return {}


def _field(model: type[Record], name: str) -> _Field:
    if name == "deleted_at":
        return _Trash(model, name)
    if "." in name:
        base = model._meta.get_field(name.split(".", 1)[0])
        if base.many_to_many:
            return _Membership(model, name)
        return _CustomValue(model, name)
    return _Column(model, name)


def _write_columns(
    model: type[Record], columns: list[_Column], rows: list[tuple[Record, dict[str, Any]]]
) -> None:
    """Write the column values of ``rows``: one UPDATE per distinct set of values.

    A reassign to three colleagues is three UPDATEs a chunk; when values vary more (an undo of
    records that had many owners), one CASE update per chunk.
    """
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for record, values in rows:
        key = tuple(
            sorted(
                (column.attname, values[column.name]) for column in columns if column.name in values
            )
        )
        if key:
            groups.setdefault(key, []).append(record.pk)
    if len(groups) <= _GROUPED_UPDATES:
        for key, pks in groups.items():
            model.all_objects.filter(pk__in=pks).update(**dict(key))
        return
    names = [column.name for column in columns]
    changed = []
    for record, values in rows:
        for column in columns:
            if column.name in values:
                setattr(record, column.attname, values[column.name])
        changed.append(record)
    model.all_objects.bulk_update(changed, names, batch_size=CHUNK)
