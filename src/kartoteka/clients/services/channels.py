"""The lists a record carries: phones, emails, tags, related persons (employments: contacts.py).

Each ``clean_*`` checks input and returns it normalised plus field errors; each ``write_*`` replaces
the stored list and returns the change for the audit trail (``{name: [old, new]}`` or nothing).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext as _

from kartoteka.clients.models.channels import EmailKind, MessengerKind, PhoneKind
from kartoteka.clients.models.relation import Relation
from kartoteka.core.phones import format_phone, normalize_phone
from kartoteka.core.prefetch import remember
from kartoteka.records.models import Tag

Errors = dict[str, list[str]]


def clean_phones(raw: list[dict[str, Any]], errors: Errors) -> list[dict[str, str]]:
    phones: list[dict[str, str]] = []
    for number, item in enumerate(raw, start=1):
        text = str(item.get("number") or "").strip()
        if not text:
            continue
        kind = str(item.get("kind") or PhoneKind.MOBILE)
        if kind not in PhoneKind.values:
            errors.setdefault("phones", []).append(
                _("%(n)d: unknown kind of phone.") % {"n": number}
            )
            continue
        try:
            e164 = normalize_phone(text)
        except ValidationError as error:
            errors.setdefault("phones", []).append(f"{number}: {text} — {error.messages[0]}")
            continue
        if e164 not in [phone["number"] for phone in phones]:
            phones.append({"number": e164, "kind": kind})
    return phones


TELEGRAM_NAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{4,31})$")
TELEGRAM_LINK = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/([A-Za-z0-9_]+)/?$")
PHONE_MESSENGERS = (MessengerKind.WHATSAPP, MessengerKind.VIBER)


def messenger_handle(kind: str, text: str) -> str:
    """One messenger handle, normalised, or ValidationError with a message for people.

    Telegram: a username (stored with @, a t.me link is accepted) or a phone; WhatsApp and Viber:
    a phone (stored as E.164); Skype and others: any text without spaces.
    """
    text = text.strip()
    if kind not in MessengerKind.values:
        raise ValidationError(_("Choose a messenger from the list."))
    if kind == MessengerKind.TELEGRAM:
        link = TELEGRAM_LINK.match(text)
        name = TELEGRAM_NAME.match(link.group(1) if link else text)
        if name:
            return "@" + name.group(1)
        if text.lstrip("+").replace(" ", "").replace("-", "").isdigit():
            return normalize_phone(text)
        raise ValidationError(_("Enter a username like @ivanov (5–32 letters) or a phone number."))
    if kind in PHONE_MESSENGERS:
        return normalize_phone(text)
    if len(text) > 100 or any(ch.isspace() for ch in text):
        raise ValidationError(_("Enter the login without spaces, up to 100 characters."))
    return text


def clean_messengers(raw: list[Any], errors: Errors) -> list[dict[str, str]]:
    """[{"kind": "telegram", "handle": "@ivanov"}, ...] checked and normalised; blanks dropped."""
    messengers: list[dict[str, str]] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            errors.setdefault("messengers", []).append(
                _("%(n)d: give a kind and a handle.") % {"n": number}
            )
            continue
        text = str(item.get("handle") or "").strip()
        if not text:
            continue
        kind = str(item.get("kind") or MessengerKind.OTHER)
        try:
            handle = messenger_handle(kind, text)
        except ValidationError as error:
            errors.setdefault("messengers", []).append(f"{number}: {text} — {error.messages[0]}")
            continue
        entry = {"kind": kind, "handle": handle}
        if entry not in messengers:
            messengers.append(entry)
    return messengers


def clean_emails(raw: list[dict[str, Any]], errors: Errors) -> list[dict[str, str]]:
    emails: list[dict[str, str]] = []
    for number, item in enumerate(raw, start=1):
        address = str(item.get("address") or "").strip()
        if not address:
            continue
        kind = str(item.get("kind") or EmailKind.WORK)
        try:
            validate_email(address)
        except ValidationError:
            errors.setdefault("emails", []).append(
                f"{number}: {address} — " + _("Enter a valid email address.")
            )
            continue
        if kind not in EmailKind.values:
            kind = EmailKind.OTHER
        if address.lower() not in [email["address"].lower() for email in emails]:
            emails.append({"address": address, "kind": kind})
    return emails


def _date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(str(value), pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise ValueError(str(value))


def clean_related_persons(raw: list[dict[str, Any]], errors: Errors) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    for number, item in enumerate(raw, start=1):
        name = str(item.get("name") or "").strip()
        if not name:
            continue
        relation = str(item.get("relation") or Relation.OTHER)
        if relation not in Relation.values:
            errors.setdefault("related_persons", []).append(
                _("%(n)d: unknown relation.") % {"n": number}
            )
            continue
        try:
            birthday, anniversary = _date(item.get("birthday")), _date(item.get("anniversary"))
        except ValueError as error:
            errors.setdefault("related_persons", []).append(
                _("%(n)d: “%(value)s” is not a date.") % {"n": number, "value": error}
            )
            continue
        people.append(
            {"name": name, "relation": relation, "birthday": birthday, "anniversary": anniversary}
        )
    return people


# ``fresh``: the record was inserted in this very change, so it has no rows to read for the
# audit's "before" nor to remove (two round trips less per list on every creation), and the
# rows written are the whole list: they stay on the record (``prefetch.remember``) for the
# search document and the API's answer to read.


def _replace(
    manager: Any,
    model: type[models.Model],
    owner_field: str,
    owner: models.Model,
    rows: list[dict[str, Any]],
    fresh: bool,
) -> list[models.Model]:
    if not fresh:
        manager.all().delete()
    return model._default_manager.bulk_create(
        [model(**{owner_field: owner, "position": index, **row}) for index, row in enumerate(rows)]
    )


def phones_display(obj: Any) -> list[str]:
    return [f"{format_phone(p.number)} ({p.kind})" for p in obj.phones.all()]


def write_phones(
    obj: Any, owner_field: str, phones: list[dict[str, str]], *, fresh: bool = False
) -> dict[str, list[Any]]:
    before = [] if fresh else phones_display(obj)
    written = _replace(obj.phones, obj.phones.model, owner_field, obj, phones, fresh)
    if fresh:
        remember(obj, "phones", written)
    after = [f"{format_phone(p['number'])} ({p['kind']})" for p in phones]
    return {"phones": [before, after]} if before != after else {}


def write_emails(
    obj: Any, owner_field: str, emails: list[dict[str, str]], *, fresh: bool = False
) -> dict[str, list[Any]]:
    before = [] if fresh else [f"{e.address} ({e.kind})" for e in obj.emails.all()]
    written = _replace(obj.emails, obj.emails.model, owner_field, obj, emails, fresh)
    if fresh:
        remember(obj, "emails", written)
    after = [f"{e['address']} ({e['kind']})" for e in emails]
    return {"emails": [before, after]} if before != after else {}


def write_tags(obj: Any, tags: list[Tag], *, fresh: bool = False) -> dict[str, list[Any]]:
    before = [] if fresh else sorted(tag.name for tag in obj.tags.all())
    if fresh:
        obj.tags.add(*tags)  # nothing to compare with: the links are inserted
        remember(obj, "tags", tags)
    else:
        obj.tags.set(tags)
    after = sorted(tag.name for tag in tags)
    return {"tags": [before, after]} if before != after else {}


def write_related_persons(
    contact: Any, people: list[dict[str, Any]], *, fresh: bool = False
) -> dict[str, list[Any]]:
    def show(name: str, relation: str, birthday: Any, anniversary: Any) -> str:
        dates = ", ".join(str(d) for d in (birthday, anniversary) if d)
        return f"{name} ({relation}{', ' + dates if dates else ''})"

    before = (
        []
        if fresh
        else [
            show(p.name, p.relation, p.birthday, p.anniversary)
            for p in contact.related_persons.all()
        ]
    )
    if not fresh:
        contact.related_persons.all().delete()
    model = contact.related_persons.model
    written = model.objects.bulk_create([model(contact=contact, **person) for person in people])
    if fresh:
        remember(contact, "related_persons", written)
    after = [show(p["name"], p["relation"], p["birthday"], p["anniversary"]) for p in people]
    return {"related_persons": [before, after]} if before != after else {}
