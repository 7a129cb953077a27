"""The email a client gets before an important date: built-in texts and the sandboxed renderer.

Administrators edit two templates — one for a close person's date ("Anna's birthday is on
12 December"), one for the client's own birthday — in Django's template language, restricted to
:mod:`kartoteka.activities.template_sandbox`. The context is plain text and numbers made here
(never model instances), so a template reaches the placeholders below and nothing else.

Placeholders: ``client.first_name``, ``client.middle_name``, ``client.last_name``,
``client.full_name``; ``person.name``, ``person.relation``; ``event`` ("день рождения"),
``date`` ("12 декабря"), ``days`` (2), ``days_text`` ("2 дня"); ``manager.name``,
``manager.email``, ``manager.phone``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.utils import dateformat, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext

#: an administrator's template longer than this is refused
MAX_TEMPLATE = 5000


class _SandboxEngine(Engine):
    # No default tags, filters or loader tags: only the sandbox's library (see its docstring).
    default_builtins: list[str] = []  # noqa: RUF012 - overrides the class attribute


ENGINE = _SandboxEngine(
    dirs=[],
    app_dirs=False,
    loaders=[],
    libraries={},
    builtins=["kartoteka.activities.template_sandbox"],
    autoescape=False,  # plain-text mail: "Петров & сыновья" stays as written
    debug=False,
    string_if_invalid="",
)

# The built-in texts, translated into the email's language when used (gettext_noop marks them for
# the catalogue; the English is the msgid).
DEFAULT_SUBJECT = gettext_noop("{{ person.name }}'s {{ event }} is on {{ date }}")
DEFAULT_BODY = gettext_noop(
    "{{ client.first_name }}, {{ person.name }}'s {{ event }} is on {{ date }} — "
    "in {{ days_text }}.\n\n"
    "A good time to think of a present: we will gladly help you choose one.\n\n"
    "{{ manager.name }}{% if manager.phone %}, {{ manager.phone }}{% endif %}"
)
DEFAULT_OWN_SUBJECT = gettext_noop("{{ client.first_name }}, your birthday is on {{ date }}")
DEFAULT_OWN_BODY = gettext_noop(
    "{{ client.first_name }}, your birthday is on {{ date }} — many happy returns in advance!\n\n"
    "Drop in to see us: there is always a little surprise for those who celebrate.\n\n"
    "{{ manager.name }}{% if manager.phone %}, {{ manager.phone }}{% endif %}"
)


def default_texts(language: str) -> dict[str, str]:
    """The built-in subject and text of both emails in ``language``."""
    with translation.override(language):
        return {
            "email_subject": _(DEFAULT_SUBJECT),
            "email_body": _(DEFAULT_BODY),
            "own_subject": _(DEFAULT_OWN_SUBJECT),
            "own_body": _(DEFAULT_OWN_BODY),
        }


def check_template(text: str) -> str:
    """``text`` if it is a template the sandbox accepts; else the reason, in words."""
    if len(text) > MAX_TEMPLATE:
        return _("The template is too long: at most %(max)s characters.") % {"max": MAX_TEMPLATE}
    try:
        ENGINE.from_string(text).render(Context(sample_context(), autoescape=False))
    except TemplateSyntaxError as error:
        return _("The template cannot be used: %(error)s") % {"error": error}
    except Exception as error:  # noqa: BLE001 - any failure is the administrator's to fix
        return _("The template cannot be used: %(error)s") % {"error": error.__class__.__name__}
    return ""


def render(text: str, context: dict[str, Any]) -> str:
    """``text`` rendered with ``context`` (plain values only) in the sandbox."""
    return ENGINE.from_string(text).render(Context(context, autoescape=False))


@dataclass(frozen=True)
class Occasion:
    """What the email is about, in plain values."""

    date: datetime.date
    days: int
    own: bool
    #: "birthday" or "anniversary"
    kind: str
    client_first_name: str
    client_middle_name: str
    client_last_name: str
    person_name: str = ""
    #: "spouse", "child"... (RelatedPerson.relation)
    relation: str = ""
    #: "male", "female" or "" (the person's sex as the name tells, for "жена"/"муж")
    sex: str = ""
    manager_name: str = ""
    manager_email: str = ""
    manager_phone: str = ""


def relation_word(relation: str, sex: str) -> str:
    """A relation in the active language, by the person's sex: "жена", "son", "коллега"."""
    male, female = sex == "male", sex == "female"
    if relation == "spouse":
        return _("husband") if male else _("wife") if female else _("spouse")
    if relation == "child":
        return _("son") if male else _("daughter") if female else _("child")
    if relation == "parent":
        return _("father") if male else _("mother") if female else _("parent")
    if relation == "friend":
        return pgettext("female", "friend") if female else pgettext("male", "friend")
    if relation == "colleague":
        return pgettext("female", "colleague") if female else pgettext("male", "colleague")
    return _("close person")


def event_word(kind: str, relation: str = "") -> str:
    """An occasion in the active language: "день рождения", "годовщина свадьбы"."""
    if kind == "birthday":
        return _("birthday")
    if relation == "spouse":
        return _("wedding anniversary")
    return _("anniversary")


def context_for(occasion: Occasion, language: str) -> dict[str, Any]:
    """The template's context for ``occasion``, its words in ``language``."""
    with translation.override(language):
        client_full = " ".join(
            part
            for part in (
                occasion.client_last_name,
                occasion.client_first_name,
                occasion.client_middle_name,
            )
            if part
        )
        person_name = client_full if occasion.own else occasion.person_name
        return {
            "client": {
                "first_name": occasion.client_first_name or client_full,
                "middle_name": occasion.client_middle_name,
                "last_name": occasion.client_last_name,
                "full_name": client_full,
            },
            "person": {
                "name": person_name,
                "relation": "" if occasion.own else relation_word(occasion.relation, occasion.sex),
            },
            "event": event_word(occasion.kind, occasion.relation),
            # "12 декабря" / "12 December": the month in the genitive, as a date is written
            "date": dateformat.format(occasion.date, "j E"),
            "days": occasion.days,
            "days_text": ngettext("%(days)s day", "%(days)s days", occasion.days)
            % {"days": occasion.days},
            "manager": {
                "name": occasion.manager_name,
                "email": occasion.manager_email,
                "phone": occasion.manager_phone,
            },
        }


def sample_context() -> dict[str, Any]:
    """A made-up occasion, to check and preview a template."""
    language = translation.get_language() or "en"
    ru = language.startswith("ru")
    return context_for(
        Occasion(
            date=datetime.date(2026, 12, 12),
            days=2,
            own=False,
            kind="birthday",
            client_first_name="Павел" if ru else "Paul",
            client_middle_name="Петрович" if ru else "",
            client_last_name="Петров" if ru else "Peters",
            person_name="Анна" if ru else "Anna",
            relation="spouse",
            sex="female",
            manager_name="Ирина Иванова" if ru else "Irene Ivanova",
            manager_email="ivanova@example.ru",
            manager_phone="+7 916 123-45-67",
        ),
        language,
    )
