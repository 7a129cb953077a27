from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Model
from django.utils import formats, numberformat
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from kartoteka.core import access, audit_text
from kartoteka.core.models import AuditEntry
from kartoteka.core.prefetch import prefetched
from kartoteka.core.web import row_html

register = template.Library()


@register.filter
def kind_name(obj: Model) -> str:
    return str(obj._meta.verbose_name).capitalize()


@register.filter
def label_lower(obj: Model) -> str:
    return obj._meta.label_lower


@register.filter
def field_label(entry: AuditEntry, name: str) -> str:
    """A changed field's name as people read it, in their language."""
    model = entry.content_type.model_class() if entry.content_type is not None else None
    return audit_text.field_label(model, name)


@register.filter
def audit_value(value: object, name: str) -> object:
    """A stored audit value as people read it (an entry not passed through audit_text)."""
    return audit_text.value_text(None, name, value)


@register.filter
def audit_record(entry: AuditEntry) -> str:
    """The record an entry is about, named in the reader's language."""
    return audit_text.record_text(entry)


@register.filter
def audit_lines(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """An entry's changes as (field, old, new) texts: from the view's bulk reading
    (:func:`kartoteka.core.audit_text.describe`), else read alone."""
    lines = getattr(entry, "lines", None)
    if lines is None:
        lines = audit_text.lines_of(entry, audit_text.lookups_for([entry]))
    return lines


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], key: str, label: str) -> str:
    """A column title that sorts the list by it; a second click reverses the order."""
    request = context["request"]
    params = request.GET.copy()
    for paging in ("after", "before", "from"):
        params.pop(paging, None)
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
    return SafeString(
        " ".join(
            row_html('<span class="tag" style="--tag: {}">{}</span>', tag.color, tag.name)
            for tag in prefetched(record, "tags")
        )
    )


@register.filter
def first_email(record: Any) -> str:
    """A record's main email address, or ""."""
    emails = prefetched(record, "emails")
    return emails[0].address if emails else ""


@register.filter
def thousands(value: Any) -> str:
    """A whole number with the locale's group separator: "12 345" in Russian (a no-break space,
    so it never breaks across lines), "12,345" in English."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    separator = str(formats.get_format("THOUSAND_SEPARATOR"))
    if separator.isspace():
        separator = "\u00a0"
    return numberformat.format(number, ",", grouping=3, thousand_sep=separator, force_grouping=True)


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
