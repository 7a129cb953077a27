"""The audit trail in the reader's words: field names by their labels, values as people write them.

Entries keep what was stored (old rows: choice labels in the writer's language, ISO dates,
"+7 495 123-45-67 (mobile)"); this module reads them at display time in the active language and
time zone, so the same entry reads in Russian to one person and in English to another.
:func:`describe` gives every entry its ``lines``: ``(label, old, new)`` texts, with a bounded
number of queries whatever the number of entries (custom field names, related records by id).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from kartoteka.core import audit, kinds
from kartoteka.core.models import AuditEntry
from kartoteka.core.phones import format_phone

# Audit entries also record things that are not model fields.
EXTRA_LABELS = {
    "roles": gettext_lazy("roles"),
    "teams": gettext_lazy("teams"),
    "members": gettext_lazy("members"),
    "password": gettext_lazy("password"),
    "shared_with": gettext_lazy("shared with"),
    "until": gettext_lazy("until"),
    "merged_with": gettext_lazy("merged with"),
    "merged_into": gettext_lazy("merged into"),
    "people": gettext_lazy("people"),
    "batch": gettext_lazy("bulk change"),
    "rules": gettext_lazy("group rules"),
    # a record's entry when a custom field it held a value of was deleted
    "custom_field": gettext_lazy("custom field"),
    # an export's entry: what was exported, with which filter, how many rows
    "entity": gettext_lazy("records"),
    "filter": gettext_lazy("filter"),
    "query": gettext_lazy("filter"),
    "rows": gettext_lazy("rows"),
    "related_persons": gettext_lazy("related persons"),
    "companies": gettext_lazy("companies"),
    "contacts": gettext_lazy("contacts"),
}

#: a right's action as a noun: "View companies" ("Просмотр компаний")
_ACTION_NOUNS = {
    "view": lambda: pgettext("right", "View"),
    "create": lambda: pgettext("right", "Create"),
    "edit": lambda: pgettext("right", "Edit"),
    "delete": lambda: pgettext("right", "Delete"),
    "export": lambda: pgettext("right", "Export"),
    "assign": lambda: pgettext("right", "Assign"),
}
_SCOPES = {
    "own": gettext_lazy("own"),
    "team": gettext_lazy("team"),
    "branch": gettext_lazy("branch"),
    "all": gettext_lazy("all"),
}

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")
#: a list item stored as "text (kind)" or "name (relation, 1980-01-02, 2005-06-07)"
WITH_KIND = re.compile(r"^(?P<text>.*) \((?P<kind>[a-z_]+)(?P<dates>(?:, \d{4}-\d{2}-\d{2})*)\)$")
#: a merged record's name as older entries stored it: "#6002 «ООО Ромашка»"
NUMBERED = re.compile(r"^#\d+ (?P<name>.+)$")


def no() -> str:
    return _("no").capitalize()


def yes() -> str:
    return _("yes").capitalize()


def empty() -> str:
    return "—"


def gone() -> str:
    return _("deleted record")


def date_text(value: datetime.date) -> str:
    return value.strftime("%d.%m.%Y")


def moment_text(value: datetime.datetime) -> str:
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d.%m.%Y %H:%M")


def right_label(entity: str, action: str) -> str:
    """A cell of the access table in words: "View companies" ("Просмотр компаний")."""
    found = kinds.entity(entity)
    noun = _ACTION_NOUNS.get(action)
    if found is None or noun is None:
        return f"{entity}.{action}"
    with translation.override("en"):
        english = str(found.label).lower()
    genitive = pgettext("entity genitive", english)
    if genitive == english and translation.get_language() not in (None, "en"):
        return f"{found.label}: {noun().lower()}".capitalize()
    return f"{noun()} {genitive}"


def scope_text(value: Any) -> str:
    return str(_SCOPES[value]) if value in _SCOPES else str(value)


_CHOICE_MAPS: dict[tuple[int, str], dict[str, str]] = {}


def _choice_map(model_field: models.Field[Any, Any]) -> dict[str, str]:
    """Stored value -> label now: the code, and the labels in every language older rows hold."""
    key = (id(model_field), translation.get_language() or "")
    if key not in _CHOICE_MAPS:
        _CHOICE_MAPS[key] = _read_choices(model_field)
    return _CHOICE_MAPS[key]


def _read_choices(model_field: models.Field[Any, Any]) -> dict[str, str]:
    choices = list(model_field.flatchoices)
    found: dict[str, str] = {}
    for code, _label in choices:
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                found.setdefault(str(dict(choices)[code]), code)
        found[str(code)] = code
    return {stored: str(dict(choices)[code]) for stored, code in found.items()}


@dataclass
class Lookups:
    """What the entries on one page need from the database, fetched in bulk."""

    custom: dict[tuple[str, str], Any] = field(default_factory=dict)
    related: dict[tuple[str, int], str] = field(default_factory=dict)


def _model_field(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _kind_choices(model: type[models.Model] | None, name: str) -> dict[str, str]:
    """The kinds of a list's items (a phone's "mobile", a related person's "spouse")."""
    relation = _model_field(model, name)
    related = getattr(relation, "related_model", None)
    if related is None:
        return {}
    for candidate in ("kind", "relation"):
        inner = _model_field(related, candidate)
        if inner is not None and inner.choices:
            return _choice_map(inner)
    return {}


def _list_item(model: type[models.Model] | None, name: str, item: str) -> str:
    found = WITH_KIND.match(item)
    if not found:
        return item
    labels = _kind_choices(model, name)
    kind = labels.get(found["kind"], found["kind"])
    dates = [
        date_text(parsed)
        for text in found["dates"].split(", ")
        if text and (parsed := parse_date(text)) is not None
    ]
    text = found["text"]
    if name == "phones" and text.startswith("+"):
        text = format_phone(text.replace(" ", "").replace("-", ""))
    return f"{text} ({', '.join([kind, *dates])})"


def _plain(value: str) -> str:
    if ISO_DATE.match(value) and (day := parse_date(value)) is not None:
        return date_text(day)
    if ISO_MOMENT.match(value) and (moment := parse_datetime(value)) is not None:
        return moment_text(moment)
    numbered = NUMBERED.match(value)
    return numbered["name"] if numbered else value


def value_text(
    model: type[models.Model] | None, name: str, value: Any, lookups: Lookups | None = None
) -> str:
    """One stored audit value as the reader reads it."""
    if value is None or value == "" or value == [] or value == {}:
        return empty()
    if isinstance(value, bool):
        return yes() if value else no()
    if isinstance(value, list):
        return ", ".join(value_text(model, name, item, lookups) for item in value)
    if audit.is_link(value):
        return audit.hidden_label()  # not passed through audit.shown_to for this reader
    if isinstance(value, dict):
        if "handle" in value:
            return _messenger(value)
        return "; ".join(f"{key}: {value_text(None, '', item)}" for key, item in value.items())
    model_field = _model_field(model, name)
    if model_field is not None and model_field.is_relation and isinstance(value, int):
        label = model_field.related_model._meta.label_lower
        return (lookups.related if lookups else {}).get((label, value), gone())
    if isinstance(value, int | float):
        return formats.number_format(value)
    text = str(value)
    if model_field is not None and getattr(model_field, "choices", None):
        # A status shown alone reads in sentence case, as in the list, the filter and the card.
        return capfirst(_choice_map(model_field).get(text, text))
    if name == "roles":
        # Built-in roles are kept by their shipped (English) name, read translated.
        return _(text) if text else text
    if name == "entity" and kinds.entity(text) is not None:
        return kinds.entity_label(text)
    if name in ("phone", "number") and text.startswith("+"):
        return format_phone(text)
    if name in ("query", "filter"):
        return filter_summary(text, lookups)
    if model_field is not None and model_field.one_to_many or name in ("phones", "emails"):
        return _list_item(model, name, text)
    if name == "related_persons":
        return _list_item(model, name, text)
    return _plain(text)


def _messenger(item: dict[str, Any]) -> str:
    # A contact's messenger, {"kind": "telegram", "handle": "@ivanov"}: "Telegram @ivanov".
    handle = str(item.get("handle", ""))
    shown = format_phone(handle) if handle.startswith("+") else handle
    kind = str(item.get("kind", ""))
    names = {"telegram": "Telegram", "whatsapp": "WhatsApp", "viber": "Viber", "skype": "Skype"}
    kind = names.get(kind, _("other messenger") if kind == "other" else kind)
    return " ".join(part for part in (kind, shown) if part) or str(item)


def field_label(model: type[models.Model] | None, name: str) -> str:
    """A changed field's name as people read it, in their language."""
    if name in ("query", "filter"):
        return str(EXTRA_LABELS["filter"]).capitalize()
    model_field = _model_field(model, name)
    if model_field is not None and hasattr(model_field, "verbose_name"):
        return str(model_field.verbose_name).capitalize()
    kind = next((k for k in kinds.record_kinds() if k.model is model), None)
    labelled = next((f for f in kind.fields if f.name == name), None) if kind else None
    if labelled is not None and labelled.label is not None:
        return str(labelled.label)
    entity, dot, action = name.partition(".")
    if dot and kinds.entity(entity) is not None:
        return right_label(entity, action)
    if name not in EXTRA_LABELS and kinds.entity(name) is not None:
        # A deleted tag's entry counts the records of each kind that carried it.
        return kinds.entity_label(name).capitalize()
    return str(EXTRA_LABELS.get(name, name)).capitalize()


# --- Filters --------------------------------------------------------------------------------------
def _filter_fields() -> dict[str, kinds.Field]:
    found: dict[str, kinds.Field] = {}
    for kind in kinds.record_kinds():
        for item in kind.fields:
            if item.filter:
                found.setdefault(item.query_param, item)
            if item.sort:
                found.setdefault(f"sort:{item.sort}", item)
    return found


def _field_name(kind_field: kinds.Field) -> str:
    if kind_field.label is not None:
        return str(kind_field.label)
    for kind in kinds.record_kinds():
        model_field = _model_field(kind.model, kind_field.name)
        if model_field is not None:
            return str(model_field.verbose_name).capitalize()
    return kind_field.name


def filter_summary(query: str, lookups: Lookups | None = None) -> str:
    """A list's query string in words: "Статус: клиент; Город: Москва; сортировка: название"."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=False)
    if not pairs:
        return _("no filter")
    known = _filter_fields()
    parts: list[str] = []
    for key, raw in pairs:
        if key == "q":
            parts.append(_("search: «%(text)s»") % {"text": raw})
        elif key == "sort":
            item = known.get(f"sort:{raw.lstrip('-')}")
            name = _field_name(item) if item else raw.lstrip("-")
            order = _("descending") if raw.startswith("-") else _("ascending")
            parts.append(
                _("sorted by %(field)s, %(order)s") % {"field": name.lower(), "order": order}
            )
        elif key == "cols":
            parts.append(_("chosen columns"))
        elif key.startswith("cf_"):
            code, _sep, bound = key[3:].partition("__")
            labels = lookups.custom if lookups else {}
            label = next((str(f) for (_e, c), f in labels.items() if c == code), code)
            suffix = {"from": _("from"), "to": _("to")}.get(bound, "")
            parts.append(f"{label}{' ' + suffix if suffix else ''}: {_plain(raw)}")
        elif key in known:
            parts.append(f"{_field_name(known[key])}: {_filter_value(known[key], raw, lookups)}")
        else:
            parts.append(f"{key}: {raw}")
    return "; ".join(parts)


def _filter_value(item: kinds.Field, raw: str, lookups: Lookups | None) -> str:
    if item.type in (kinds.PERSON, kinds.BRANCH) and raw.isdigit():
        label = "accounts.user" if item.type == kinds.PERSON else "accounts.branch"
        return (lookups.related if lookups else {}).get((label, int(raw)), gone())
    if item.type == kinds.CHOICE:
        for kind in kinds.record_kinds():
            model_field = _model_field(kind.model, item.name)
            if model_field is not None and model_field.choices:
                return capfirst(_choice_map(model_field).get(raw, raw))
    return _plain(raw)


def _model_of(entry: AuditEntry) -> type[models.Model] | None:
    content_type = entry.content_type if entry.content_type_id else None
    return content_type.model_class() if content_type is not None else None


# --- Entries --------------------------------------------------------------------------------------
def _ids_wanted(entries: list[AuditEntry]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    fields = _filter_fields()
    for entry in entries:
        model = _model_of(entry)
        for name, pair in (entry.changes or {}).items():
            values = pair if isinstance(pair, list) else [pair]
            model_field = _model_field(model, name)
            if model_field is not None and model_field.many_to_one:
                label = model_field.related_model._meta.label_lower
                for value in values:
                    if isinstance(value, int) and not isinstance(value, bool):
                        wanted.setdefault(label, set()).add(value)
            if name in ("query", "filter"):
                for value in values:
                    for key, raw in parse_qsl(str(value or "").lstrip("?")):
                        item = fields.get(key)
                        if item is not None and item.type in (kinds.PERSON, kinds.BRANCH):
                            if raw.isdigit():
                                label = (
                                    "accounts.user"
                                    if item.type == kinds.PERSON
                                    else "accounts.branch"
                                )
                                wanted.setdefault(label, set()).add(int(raw))
    return wanted


def lookups_for(entries: list[AuditEntry]) -> Lookups:
    """Names the entries need, fetched with one query per kind of thing named."""
    lookups = Lookups()
    if any(
        "custom_fields" in (e.changes or {})
        or "filter" in (e.changes or {})
        or "query" in (e.changes or {})
        for e in entries
    ):
        custom = apps.get_model("records", "CustomField")
        lookups.custom = {(f.entity, f.code): f.label for f in custom.objects.all()}
    for label, ids in _ids_wanted(entries).items():
        model = apps.get_model(label)
        for obj in model._default_manager.filter(pk__in=ids):
            name = obj.get_full_name() if hasattr(obj, "get_full_name") else str(obj)
            lookups.related[(label, obj.pk)] = name or str(obj)
    return lookups


def _custom_lines(entity: str, old: Any, new: Any, lookups: Lookups) -> list[tuple[str, str, str]]:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    lines = []
    for code in [*old, *(key for key in new if key not in old)]:
        if old.get(code) == new.get(code):
            continue
        label = lookups.custom.get((entity, code)) or code
        lines.append(
            (
                str(label),
                value_text(None, code, old.get(code)),
                value_text(None, code, new.get(code)),
            )
        )
    return lines


def lines_of(entry: AuditEntry, lookups: Lookups) -> list[tuple[str, str, str]]:
    """An entry's changes as (field, old, new) in the reader's words."""
    model = _model_of(entry)
    entity = getattr(model, "access_entity", "")
    lines: list[tuple[str, str, str]] = []
    for name, pair in (entry.changes or {}).items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        if name == "custom_fields" and (isinstance(old, dict) or isinstance(new, dict)):
            lines.extend(_custom_lines(entity, old, new, lookups))
            continue
        label = field_label(model, name)
        entity_code, dot, _action = name.partition(".")
        if dot and kinds.entity(entity_code) is not None:
            lines.append(
                (label, scope_text(old) if old else empty(), scope_text(new) if new else empty())
            )
            continue
        lines.append(
            (label, value_text(model, name, old, lookups), value_text(model, name, new, lookups))
        )
    return lines


def record_text(entry: AuditEntry) -> str:
    """The record an entry is about, named in the reader's language where it was generated."""
    if entry.action == AuditEntry.Action.EXPORT:
        changes = entry.changes or {}
        entity = (changes.get("entity") or [None, ""])[-1]
        rows = (changes.get("rows") or [None, 0])[-1]
        if entity:
            return _("Export: %(entity)s, %(count)d rows") % {
                "entity": kinds.entity_label(str(entity)),
                "count": int(rows or 0),
            }
    text = entry.object_repr
    numbered = NUMBERED.match(text)
    return numbered["name"] if numbered else text


def describe(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Give each entry ``lines`` and ``record_text``, read in the active language."""
    rows = list(entries)
    lookups = lookups_for(rows)
    for entry in rows:
        entry.lines = lines_of(entry, lookups)  # type: ignore[attr-defined]
        entry.record_text = record_text(entry)  # type: ignore[attr-defined]
    return rows


def link_records(viewer: Any, entries: list[AuditEntry]) -> None:
    """Give each entry about a record the viewer may see its card's address (``record_url``):
    one query per kind of record on the page."""
    from django.urls import reverse

    from kartoteka.core import access

    wanted: dict[int, tuple[kinds.RecordKind, set[int]]] = {}
    for entry in entries:
        entry.record_url = ""  # type: ignore[attr-defined]
        model = _model_of(entry)
        if model is None or entry.object_id is None:
            continue
        kind = next((k for k in kinds.record_kinds() if k.model is model), None)
        if kind is not None:
            wanted.setdefault(entry.content_type_id or 0, (kind, set()))[1].add(entry.object_id)
    visible: dict[int, set[int]] = {}
    for type_id, (kind, ids) in wanted.items():
        found = access.scoped(kind.model.objects.filter(pk__in=ids), viewer)
        visible[type_id] = set(found.values_list("pk", flat=True))
    for entry in entries:
        if entry.object_id in visible.get(entry.content_type_id or 0, set()):
            kind = wanted[entry.content_type_id][0]  # type: ignore[index]
            entry.record_url = reverse(kind.detail_url, args=[entry.object_id])  # type: ignore[attr-defined]
