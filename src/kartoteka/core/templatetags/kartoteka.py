from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from kartoteka.core import access, audit, kinds
from kartoteka.core.models import AuditEntry
from kartoteka.core.phones import format_phone
from kartoteka.core.prefetch import prefetched

register = template.Library()


@register.filter
def kind_name(obj: Model) -> str:
    return str(obj._meta.verbose_name).capitalize()


@register.filter
def label_lower(obj: Model) -> str:
    return obj._meta.label_lower


# Audit entries also record things that are not model fields.
_EXTRA_LABELS = {
    "roles": _("roles"),
    "teams": _("teams"),
    "members": _("members"),
    "password": _("password"),
    "shared_with": _("shared with"),
    "until": _("until"),
    "merged_with": _("merged with"),
    "merged_into": _("merged into"),
    "people": _("people"),
    "batch": _("bulk change"),
    "rules": _("group rules"),
    # a record's entry when a custom field it held a value of was deleted
    "custom_field": _("custom field"),
    # an export's entry: what was exported, with which filter, how many rows
    "entity": _("records"),
    "filter": _("filter"),
    "rows": _("rows"),
    "related_persons": _("related persons"),
    # a deleted tag's entry: how many records carried it
    "companies": _("companies"),
    "contacts": _("contacts"),
}


@register.filter
def field_label(entry: AuditEntry, name: str) -> str:
    """A changed field's name as people read it, in their language."""
    model = entry.content_type.model_class() if entry.content_type is not None else None
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is not None and hasattr(field, "verbose_name"):
            return str(field.verbose_name).capitalize()
    if name not in _EXTRA_LABELS and kinds.entity(name) is not None:
        # A deleted tag's entry counts the records of each kind that carried it.
        return kinds.entity_label(name).capitalize()
    return str(_EXTRA_LABELS.get(name, name)).capitalize()


def _messenger(item: dict[str, Any]) -> str:
    # A contact's messenger, {"kind": "telegram", "handle": "@ivanov"}: "telegram @ivanov".
    handle = str(item.get("handle", ""))
    shown = format_phone(handle) if handle.startswith("+") else handle
    return " ".join(part for part in (str(item.get("kind", "")), shown) if part) or str(item)


@register.filter
def audit_value(value: object, name: str) -> object:
    """Phones are kept as E.164 in the trail and shown the way people write them."""
    if name == "phone" and isinstance(value, str) and value.startswith("+"):
        return format_phone(value)
    if name == "entity" and isinstance(value, str) and kinds.entity(value) is not None:
        return kinds.entity_label(value)
    if isinstance(value, list):
        return ", ".join(str(audit_value(item, name)) for item in value)
    if audit.is_link(value):
        # Not passed through audit.shown_to for this reader: name nothing.
        return audit.hidden_label()
    if isinstance(value, dict):
        return _messenger(value)
    return value


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], key: str, label: str) -> str:
    """A column title that sorts the list by it; a second click reverses the order."""
    request = context["request"]
    params = request.GET.copy()
    params.pop("after", None)
    current = params.get("sort", "")
    params["sort"] = f"-{key}" if current == key else key
    arrow = " ▲" if current == key else " ▼" if current == f"-{key}" else ""
    state = "ascending" if current == key else "descending" if current == f"-{key}" else ""
    aria = format_html(' aria-sort="{}"', state) if state else ""
    return format_html(
        '<a class="sort" href="?{}"{}>{}{}</a>', params.urlencode(), aria, label, arrow
    )


@register.filter
def custom_value(record: Any, field: Any) -> Any:
    """A record's value of a custom field, as people read it."""
    value = (getattr(record, "custom_fields", None) or {}).get(field.code)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else value


@register.filter
def tag_badges(record: Any) -> SafeString:
    """A record's tags as coloured badges (from the prefetched tags: no query per row)."""
    return format_html_join(
        " ",
        '<span class="tag" style="--tag: {}">{}</span>',
        ((tag.color, tag.name) for tag in prefetched(record, "tags")),
    )


@register.filter
def first_email(record: Any) -> str:
    """A record's main email address, or ""."""
    emails = prefetched(record, "emails")
    return emails[0].address if emails else ""


@register.filter
def undo_token(extra_tags: str) -> str:
    """The undo token a toast carries ("undo:<token>" in its message's extra tags), or ""."""
    for tag in (extra_tags or "").split():
        if tag.startswith("undo:"):
            return tag[len("undo:") :]
    return ""


@register.filter
def may(user: Any, cell: str) -> bool:
    """``{% if user|may:"contacts.create" %}``: does the user's role hold this cell at all (any
    scope)? For buttons: a button the role cannot use is not shown."""
    entity, _dot, action = cell.partition(".")
    return bool(getattr(user, "is_authenticated", False)) and access.has_any(user, entity, action)
