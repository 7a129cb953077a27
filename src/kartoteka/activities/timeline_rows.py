"""A client's timeline entries, made in Python.

A page of the timeline is up to 50 entries; made by the template engine, each through an include
with a dozen conditions, a ``{% url %}`` per link and a translation per label, the entries were
most of the page's time (about 1 ms an entry). Here links are reversed once
(:func:`kartoteka.core.web.url_for_ids`), labels translated once, and every value escaped by
``row_html``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import linebreaksbr, urlencode
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kartoteka.activities.models import Activity
from kartoteka.activities.templatetags.timeline import duration_text
from kartoteka.activities.timeline import ACTIVITY, TASK, Item
from kartoteka.core.dates import moment_text
from kartoteka.core.models import AuditEntry
from kartoteka.core.templatetags.kartoteka import audit_lines
from kartoteka.core.web import row_html, url_for_ids


@dataclass(frozen=True)
class Page:
    """What every entry of one page shares."""

    #: the card the timeline is on: "company" or "contact"
    kind: str
    #: the activities the reader may edit, and those they may delete
    may_edit: set[int]
    may_delete: set[int]
    #: where an edit or a delete returns to
    card_url: str
    csrf_input: SafeString


def rows(items: Iterable[Item], page: Page) -> list[SafeString]:
    """Each entry's ``<li>``. Activities carry ``visible_next_steps`` (see
    :func:`kartoteka.activities.timeline.with_next_steps`) and ``participant_list``."""
    labels = _Labels()
    urls = {
        name: url_for_ids(route)
        for name, route in (
            ("company", "clients:company-detail"),
            ("contact", "clients:contact-detail"),
            ("edit", "activities:activity-edit"),
            ("delete", "activities:activity-delete"),
        )
    }
    back = urlencode(page.card_url)
    made = []
    for item in items:
        if item.source == ACTIVITY:
            head = _activity_head(item, page, labels, urls, back)
            body = _activity_body(item.obj, labels)
        elif item.source == TASK:
            head = row_html(
                '<b class="tl-what">✓ {}:</b> {} <span class="muted small">{}</span> {}',
                labels.task_done,
                item.obj.title,
                _name(item.person, ""),
                _via(item.via, urls),
            )
            body = mark_safe("")
        else:
            head = row_html(
                '<b class="tl-what">{}</b> <span class="muted small">{}</span>',
                capfirst(labels.actions.get(item.obj.action, item.obj.action)),
                _name(item.obj.actor, labels.system),
            )
            body = _changes(item.obj)
        made.append(
            row_html(
                '<li class="tl-item tl-{} tl-{}" id="tl-{}-{}">\n<div class="tl-head">'
                '<span class="tl-time nowrap muted small">{}</span>\n{}\n</div>\n{}\n</li>',
                item.source,
                item.type,
                item.source,
                item.id,
                moment_text(item.at),
                head,
                body,
            )
        )
    return made


class _Labels:
    """The entries' words, translated once a page."""

    def __init__(self) -> None:
        self.system = _("system")
        self.edit = _("Edit")
        self.delete = _("Delete")
        self.task_done = _("Task done")
        self.asked_for = _("Asked for")
        self.reason = _("reason")
        self.place = _("Place")
        self.participants = _("Participants")
        self.result = _("Result")
        self.recording = _("Recording")
        self.next_step = _("Next step")
        self.done = _("done")
        # Django's get_FOO_display() hashes, so translates, every choice of the field on each
        # call: three calls an entry were a tenth of the entries' time.
        self.types = _choices(Activity, "type")
        self.directions = _choices(Activity, "direction")
        self.outcomes = _choices(Activity, "outcome")
        self.actions = _choices(AuditEntry, "action")


def _choices(model: Any, name: str) -> dict[str, str]:
    """The field's choices, each label in the active language."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def _name(user: Any, fallback: str) -> str:
    """A person's full name, else their username, else ``fallback`` (no one: the system)."""
    if user is None:
        return fallback
    return str(user.get_full_name() or user)


def _via(contact: Any, urls: dict[str, Callable[[int], str]]) -> SafeString:
    """On a company's timeline, the person an entry was with."""
    if contact is None:
        return mark_safe("")
    return row_html(
        '<span class="small">· <a href="{}">{}</a></span>',
        urls["contact"](contact.pk),
        contact.full_name,
    )


def _activity_head(
    item: Item,
    page: Page,
    labels: _Labels,
    urls: dict[str, Callable[[int], str]],
    back: str,
) -> SafeString:
    activity = item.obj
    what = labels.types.get(activity.type, activity.type)
    if activity.direction:
        what = f"{what}: {labels.directions.get(activity.direction, activity.direction)}"
    outcome = (
        row_html(
            '<span class="badge outcome-{}">{}</span>',
            activity.outcome,
            capfirst(labels.outcomes.get(activity.outcome, activity.outcome)),
        )
        if activity.outcome
        else ""
    )
    duration = (
        row_html('<span class="muted small nowrap">{}</span>', duration_text(activity.duration))
        if activity.duration
        else ""
    )
    if item.via is not None:
        client = _via(item.via, urls)
    elif page.kind == "contact" and activity.company is not None:
        client = row_html(
            '<span class="small">· <a href="{}">{}</a></span>',
            urls["company"](activity.company.pk),
            activity.company.name,
        )
    else:
        client = mark_safe("")
    return row_html(
        '<b class="tl-what">{}</b> {} {} <span class="muted small">{}</span> {} {}',
        what,
        outcome,
        duration,
        _name(item.person, labels.system),
        client,
        _actions(item.id, page, labels, urls, back),
    )


def _actions(
    pk: int,
    page: Page,
    labels: _Labels,
    urls: dict[str, Callable[[int], str]],
    back: str,
) -> SafeString:
    edit = pk in page.may_edit
    delete = pk in page.may_delete
    if not (edit or delete):
        return mark_safe("")
    link = f"{urls['edit'](pk)}?next={back}"
    return row_html(
        '<span class="tl-actions"> {} {} </span>',
        row_html(
            '<a class="btn btn-link" href="{}" hx-get="{}" hx-target="#tl-activity-{}" '
            'hx-swap="outerHTML">{}</a>',
            link,
            link,
            pk,
            labels.edit,
        )
        if edit
        else "",
        row_html(
            '<form class="inline" method="post" action="{}">{}<input type="hidden" '
            'name="next" value="{}"><button class="btn btn-link menu-danger" type="submit">'
            "{}</button></form>",
            urls["delete"](pk),
            page.csrf_input,
            page.card_url,
            labels.delete,
        )
        if delete
        else "",
    )


def _activity_body(activity: Any, labels: _Labels) -> SafeString:
    parts: list[SafeString] = []
    if activity.subject:
        parts.append(row_html('<div class="tl-subject">{}</div>', activity.subject))
    if activity.product_text:
        reason = (
            row_html(' <span class="muted">· {}:</span> {}', labels.reason, activity.reason.name)
            if activity.reason is not None
            else ""
        )
        parts.append(
            row_html(
                '<div><span class="muted">{}:</span> «{}»{}</div>',
                labels.asked_for,
                activity.product_text,
                reason,
            )
        )
    if activity.place:
        parts.append(
            row_html('<div><span class="muted">{}:</span> {}</div>', labels.place, activity.place)
        )
    people = activity.participant_list
    if people:
        parts.append(
            row_html(
                '<div><span class="muted">{}:</span> {}</div>',
                labels.participants,
                ", ".join(person.get_full_name() or person.username for person in people),
            )
        )
    if activity.result:
        parts.append(
            row_html(
                '<div><span class="muted">{}:</span> {}</div>',
                labels.result,
                linebreaksbr(activity.result, autoescape=True),
            )
        )
    if activity.body:
        parts.append(
            row_html('<div class="tl-body">{}</div>', linebreaksbr(activity.body, autoescape=True))
        )
    if activity.recording_url:
        parts.append(
            row_html(
                '<div><a href="{}" rel="noopener noreferrer" target="_blank">{}</a></div>',
                activity.recording_url,
                labels.recording,
            )
        )
    for task in getattr(activity, "visible_next_steps", ()):
        if task.due_at:
            due = " · " + moment_text(task.due_at)
        elif task.due_date:
            due = " · " + date_format(task.due_date, "d.m.Y")
        else:
            due = ""
        done = row_html(' <span class="badge">{}</span>', labels.done) if task.done_at else ""
        parts.append(
            row_html(
                '<div class="tl-next small">→ {}: <b>{}</b>{} · {}{}</div>',
                labels.next_step,
                task.title,
                due,
                _name(task.owner, ""),
                done,
            )
        )
    return mark_safe("\n".join(parts))  # noqa: S308 (each part escaped by row_html)


def _changes(entry: Any) -> SafeString:
    lines = audit_lines(entry)
    if not lines:
        return mark_safe("")
    return row_html(
        '<ul class="changes">{}</ul>',
        format_html_join("", "<li>{}: {} → {}</li>", lines),
    )
