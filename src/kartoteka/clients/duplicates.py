"""Finding duplicates in the card file: name keys that know Russian company names, and scoped
queries for the live warning on the create forms and for the Duplicates page.

A company's name key folds case and ё, drops quotes and punctuation and the legal form in any
spelling (ООО, «Общество с ограниченной ответственностью», OOO in Latin letters...), so
«ООО "Ромашка"», "Ромашка ООО" and "ромашка" share the key "ромашка". The same key is built both
in Python (:func:`company_key`) and in SQL (:func:`company_key_sql`) from the same steps, so the
database can GROUP BY it on SQLite and PostgreSQL alike.

Digits are significant: "Ромашка" and "Ромашка-2" are different companies (numbered legal
entities of one group are common), never "similar names".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, F, Func, QuerySet, Value
from django.db.models.functions import Concat, Length, Lower, Replace, Substr, Trim
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.clients.models import (
    Company,
    CompanyEmail,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
)
from kartoteka.clients.queries import phone_or_none
from kartoteka.core import access, kinds
from kartoteka.core.db.sqlite import functions as sqlite_functions
from kartoteka.core.models import Record
from kartoteka.core.phones import format_phone

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

#: below this a pair of names is not worth a warning
SIMILARITY_THRESHOLD = 0.85
#: names are compared within blocks of keys starting with the same letters
BLOCK_LENGTH = 5
#: a key shorter than this ("АБ") matches too much to mean anything
MIN_KEY_LENGTH = 3
#: at most this many records of one group are looked at (a placeholder phone can be on thousands)
GROUP_MEMBERS = 10
#: names are compared pairwise within a block, so a block may hold more
BLOCK_MEMBERS = 30
#: the live warning names at most this many records
WARNING_LIMIT = 5

# Characters that separate words in a name; replaced by spaces before anything else.
SEPARATORS = "«»\"'„“”‘’`.,;:!?()[]{}/\\|-–—_+&*#№%@~^<>=\t\n\r\u00a0"
# Long forms go first, longest first, so "акционерное общество" cannot eat the middle of
# "закрытое акционерное общество" and leave "закрытое" behind.
LONG_FORMS = tuple(
    sorted(
        (
            "общество с ограниченной ответственностью",
            "общество с дополнительной ответственностью",
            "товарищество с ограниченной ответственностью",
            "закрытое акционерное общество",
            "открытое акционерное общество",
            "публичное акционерное общество",
            "непубличное акционерное общество",
            "акционерное общество",
            "индивидуальный предприниматель",
            "автономная некоммерческая организация",
            "некоммерческая организация",
            "федеральное государственное унитарное предприятие",
            "государственное унитарное предприятие",
            "муниципальное унитарное предприятие",
            "крестьянское фермерское хозяйство",
            "производственный кооператив",
            "торговый дом",
        ),
        key=len,
        reverse=True,
    )
)
SHORT_FORMS = (
    "ооо",
    "одо",
    "зао",
    "оао",
    "пао",
    "нао",
    "ао",
    "ип",
    "чп",
    "нко",
    "ано",
    "тоо",
    "тд",
    "гуп",
    "муп",
    "фгуп",
    "кфх",
    "пк",
    # The same typed in Latin letters, as people do.
    "ooo",
    "zao",
    "oao",
    "pao",
    "llc",
    "ltd",
    "inc",
)
# One pattern removes every legal form standing as whole words; the lookahead leaves the
# following space in place, so forms in a row ("ООО ТД") all go in one pass.
_FORMS_PATTERN = (
    " (?:" + "|".join(sorted((*LONG_FORMS, *SHORT_FORMS), key=len, reverse=True)) + ")(?= )"
)
_FORMS = re.compile(_FORMS_PATTERN)
_SEPARATOR_TABLE = str.maketrans(SEPARATORS, " " * len(SEPARATORS))
_SPACES = re.compile(" +")


def fold(text: str) -> str:
    return text.lower().replace("ё", "е")


def company_key(name: str) -> str:
    """The name with case, ё, punctuation, spaces and the legal form folded away.

    :class:`CompanyKey` computes the same in the database, step by step.
    """
    text = _SPACES.sub(" ", f" {fold(name).translate(_SEPARATOR_TABLE)} ")
    return _FORMS.sub("", text).replace(" ", "")


class CompanyKey(Func):
    """:func:`company_key` of a column, in SQL.

    PostgreSQL: TRANSLATE and REGEXP_REPLACE with the same pattern (its regular expressions
    agree with Python's on it: longest alternative first, a lookahead). SQLite cannot nest that
    deep, so there the very Python function is registered on the connection and called.
    """

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        text: Any = Func(
            Lower(self.source_expressions[0]),
            Value("ё" + SEPARATORS),
            Value("е" + " " * len(SEPARATORS)),
            function="TRANSLATE",
        )
        text = Concat(Value(" "), text, Value(" "), output_field=CharField())
        text = Func(text, Value(" +"), Value(" "), Value("g"), function="REGEXP_REPLACE")
        text = Func(text, Value(_FORMS_PATTERN), Value(""), Value("g"), function="REGEXP_REPLACE")
        expression = Replace(text, Value(" "), Value(""))
        return expression.as_sql(compiler, connection)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="kartoteka_company_key", **extra)


def _company_key_or_null(value: Any) -> str | None:
    return company_key(value) if isinstance(value, str) else None


sqlite_functions.register("kartoteka_company_key", 1, _company_key_or_null)


def company_key_sql(field_name: str = "name") -> Func:
    return CompanyKey(F(field_name))


def person_key(last_name: str, first_name: str) -> str:
    """Last and first name folded; empty when either is missing (a surname alone is too common)."""
    last, first = fold(last_name.strip(" ")), fold(first_name.strip(" "))
    return f"{last} {first}" if last and first else ""


def person_key_sql() -> Func:
    def folded(name: str) -> Any:
        return Replace(Lower(Trim(F(name))), Value("ё"), Value("е"))

    return Concat(folded("last_name"), Value(" "), folded("first_name"), output_field=CharField())


def _digits(key: str) -> list[str]:
    return re.findall(r"\d+", key)


def similarity(first_key: str, second_key: str) -> float:
    """0..1 for two name keys; names that differ in their numbers are not similar at all."""
    if not first_key or not second_key:
        return 0.0
    if first_key == second_key:
        return 1.0
    if _digits(first_key) != _digits(second_key):
        return 0.0
    return difflib.SequenceMatcher(None, first_key, second_key).ratio()


def full_name_key(name: str) -> str:
    """The name folded like :func:`company_key` but with its legal form kept ("ооо ромашка")."""
    return _SPACES.sub(" ", fold(name).translate(_SEPARATOR_TABLE)).strip().replace(" ", "")


def company_similarity(first_name: str, first_inn: str, second_name: str, second_inn: str) -> float:
    """0..1 for two companies' names. The legal form is left out of the comparison only when
    their INNs do not tell them apart: ООО «Ромашка» and ИП «Ромашка» with two different INNs
    are two businesses whose names differ, not one name spelt two ways."""
    if first_inn and second_inn and first_inn != second_inn:
        return similarity(full_name_key(first_name), full_name_key(second_name))
    return similarity(company_key(first_name), company_key(second_name))


def same_company_name(first: str, second: str) -> bool:
    return similarity(company_key(first), company_key(second)) == 1.0


def patronymics_agree(first: str, second: str) -> bool:
    """A patronymic is optional: only two different ones tell people apart."""
    return not first.strip() or not second.strip() or fold(first.strip()) == fold(second.strip())


# --- what each kind of record needs ------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    entity: str
    model: type[Record]
    phone_model: Any
    email_model: Any
    owner_field: str
    reasons: tuple[str, ...]


KINDS = {
    "companies": Kind(
        "companies",
        Company,
        CompanyPhone,
        CompanyEmail,
        "company",
        ("inn", "phone", "email", "name"),
    ),
    "contacts": Kind(
        "contacts", Contact, ContactPhone, ContactEmail, "contact", ("phone", "email", "name")
    ),
}


def kind_of(model: type[Record]) -> Kind:
    return next(kind for kind in KINDS.values() if kind.model is model)


def _phone_numbers(raw: Iterable[str]) -> list[str]:
    numbers: list[str] = []
    for text in raw:
        number = phone_or_none(text)  # half-typed input is simply not a phone yet
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def _emails(raw: Iterable[str]) -> list[str]:
    found: list[str] = []
    for text in raw:
        address = text.strip().lower()
        if "@" in address and "." in address.split("@")[-1] and address not in found:
            found.append(address)
    return found


# --- the live warning on create forms -----------------------------------------------------------


@dataclass
class Match:
    record: Record
    reasons: list[str] = field(default_factory=list)


def possible_duplicates(
    user: User,
    entity: str,
    *,
    name: str = "",
    inn: str = "",
    last_name: str = "",
    first_name: str = "",
    middle_name: str = "",
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    exclude: int | None = None,
) -> list[Match]:
    """Records the user may see that look like the one being typed, with why.

    Only ``access.scoped`` records are looked at, so a duplicate out of the user's scope is
    never hinted at. A bounded number of queries, each with a LIMIT.
    """
    kind = KINDS[entity]
    visible = access.scoped(kind.model.objects.all(), user, "view")
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
    reasons: dict[int, list[str]] = {}

    def add(pk: int, reason: str) -> None:
        found = reasons.setdefault(pk, [])
        if reason not in found:
            found.append(reason)

    inn = "".join(ch for ch in inn if ch.isdigit())
    if entity == "companies" and len(inn) in (10, 12):
        for pk in visible.filter(inn=inn).values_list("pk", flat=True)[:WARNING_LIMIT]:
            add(pk, _("same INN %(inn)s") % {"inn": inn})
    numbers = _phone_numbers(phones)
    if numbers:
        rows = kind.phone_model.objects.filter(
            number__in=numbers, **{f"{kind.owner_field}__in": visible.values("pk")}
        ).values_list(f"{kind.owner_field}_id", "number")[: WARNING_LIMIT * 2]
        for pk, number in rows:
            add(pk, _("same phone %(phone)s") % {"phone": format_phone(number)})
    addresses = _emails(emails)
    if addresses:
        rows = (
            kind.email_model.objects.annotate(folded=Lower("address"))
            .filter(folded__in=addresses, **{f"{kind.owner_field}__in": visible.values("pk")})
            .values_list(f"{kind.owner_field}_id", "folded")[: WARNING_LIMIT * 2]
        )
        for pk, address in rows:
            add(pk, _("same email %(email)s") % {"email": address})
    if entity == "companies":
        for pk, score in _similar_company_names(visible, name, inn):
            add(pk, _similar_reason(score))
    else:
        key = person_key(last_name, first_name)
        if key:
            people = (
                visible.annotate(key=person_key_sql())
                .filter(key=key)
                .values_list("pk", "middle_name")[: WARNING_LIMIT * 2]
            )
            for pk, middle in people:
                if patronymics_agree(middle, middle_name):
                    add(pk, _("same name"))
    if not reasons:
        return []
    shown = sorted(reasons, key=lambda pk: (-len(reasons[pk]), pk))[:WARNING_LIMIT]
    records = visible.filter(pk__in=shown).select_related("owner").in_bulk()
    return [Match(records[pk], reasons[pk]) for pk in shown if pk in records]


def _similar_reason(score: float) -> str:
    if score >= 1.0:
        return _("same name")
    return _("similar name %(percent)d %%") % {"percent": int(score * 100)}


def _similar_company_names(
    visible: QuerySet[Any], name: str, inn: str = ""
) -> list[tuple[int, float]]:
    key = company_key(name)
    if len(key) < MIN_KEY_LENGTH:
        return []
    candidates = (
        visible.annotate(key=company_key_sql())
        .filter(key__startswith=key[:BLOCK_LENGTH])
        .order_by("pk")
        .values_list("pk", "name", "inn")[:200]
    )
    scored = [
        (pk, company_similarity(name, inn, other, other_inn)) for pk, other, other_inn in candidates
    ]
    scored = [(pk, score) for pk, score in scored if score >= SIMILARITY_THRESHOLD]
    return sorted(scored, key=lambda item: -item[1])[:WARNING_LIMIT]


# --- the Duplicates page: each kind's reasons (kartoteka.records.duplicates pairs them) ----------


def _same(kind: Kind, reason: str, value: str) -> str:
    if reason == "inn":
        return _("same INN %(inn)s") % {"inn": value}
    if reason == "phone":
        return _("same phone %(phone)s") % {"phone": format_phone(value)}
    return _("same email %(email)s") % {"email": value}


def _phone_rows(kind: Kind) -> Any:
    def rows(editable: QuerySet[Any]) -> tuple[QuerySet[Any], str, str]:
        found = kind.phone_model.objects.filter(
            **{f"{kind.owner_field}__in": editable.values("pk")}
        )
        return found, "number", f"{kind.owner_field}_id"

    return rows


def _email_rows(kind: Kind) -> Any:
    def rows(editable: QuerySet[Any]) -> tuple[QuerySet[Any], str, str]:
        found = kind.email_model.objects.filter(
            **{f"{kind.owner_field}__in": editable.values("pk")}
        ).annotate(folded=Lower("address"))
        return found, "folded", f"{kind.owner_field}_id"

    return rows


def _inn_rows(editable: QuerySet[Any]) -> tuple[QuerySet[Any], str, str]:
    return editable.exclude(inn=""), "inn", "pk"


def _company_name_rows(editable: QuerySet[Any]) -> tuple[QuerySet[Any], str, str]:
    # Companies are grouped in blocks of keys starting alike, then compared in Python.
    rows = editable.annotate(key=company_key_sql())
    rows = rows.annotate(block=Substr("key", 1, BLOCK_LENGTH), key_length=Length("key"))
    return rows.filter(key_length__gte=MIN_KEY_LENGTH), "block", "pk"


def _person_name_rows(editable: QuerySet[Any]) -> tuple[QuerySet[Any], str, str]:
    rows = editable.exclude(first_name="").exclude(last_name="").annotate(key=person_key_sql())
    return rows, "key", "pk"


def _company_names(rows: QuerySet[Any], ids: set[int]) -> dict[int, tuple[str, str]]:
    # (name key, "INN<tab>name") so the comparison can keep the legal form when INNs differ.
    values = rows.filter(pk__in=ids).values_list("pk", "key", "inn", "name")
    return {pk: (str(key), f"{inn}\t{name}") for pk, key, inn, name in values}


def _company_name_similarity(first: tuple[str, str], second: tuple[str, str]) -> float:
    first_inn, _tab, first_name = first[1].partition("\t")
    second_inn, _tab, second_name = second[1].partition("\t")
    if first_inn and second_inn and first_inn != second_inn:
        return similarity(full_name_key(first_name), full_name_key(second_name))
    return similarity(first[0], second[0])


def _person_names(rows: QuerySet[Any], ids: set[int]) -> dict[int, tuple[str, str]]:
    values = rows.filter(pk__in=ids).values_list("pk", "key", "middle_name")
    return {pk: (str(key), str(middle)) for pk, key, middle in values}


def _name_similarity(first: tuple[str, str], second: tuple[str, str]) -> float:
    """Names' similarity; people whose patronymics differ are not the same person."""
    if not patronymics_agree(first[1], second[1]):
        return 0.0
    return similarity(first[0], second[0])


def _reason(kind: Kind, code: str) -> kinds.DuplicateReason:
    labels = {
        "inn": gettext_lazy("Same INN"),
        "phone": gettext_lazy("Same phone"),
        "email": gettext_lazy("Same email"),
        "name": gettext_lazy("Similar name"),
    }
    if code == "name":
        companies = kind.entity == "companies"
        return kinds.DuplicateReason(
            code="name",
            label=labels[code],
            rows=_company_name_rows if companies else _person_name_rows,
            describe=lambda value, score: _similar_reason(score / 100),
            members=BLOCK_MEMBERS,
            details=_company_names if companies else _person_names,
            similarity=_company_name_similarity if companies else _name_similarity,
        )
    rows = {"inn": _inn_rows, "phone": _phone_rows(kind), "email": _email_rows(kind)}[code]
    return kinds.DuplicateReason(
        code=code,
        label=labels[code],
        rows=rows,
        describe=lambda value, score: _same(kind, code, value),
        members=GROUP_MEMBERS,
    )


def duplicate_reasons(entity: str) -> tuple[kinds.DuplicateReason, ...]:
    """The Duplicates page's tabs for companies or contacts (``RecordKind.duplicate_reasons``)."""
    kind = KINDS[entity]
    return tuple(_reason(kind, code) for code in kind.reasons)


def shared_with(first: Record, second: Record) -> list[str]:
    """Why two records look like one (for the merge screen's header)."""
    kind = kind_of(type(first))
    reasons = []
    score = 0.0
    if isinstance(first, Company) and isinstance(second, Company):
        if first.inn and first.inn == second.inn:
            reasons.append(_("same INN %(inn)s") % {"inn": first.inn})
        score = company_similarity(first.name, first.inn, second.name, second.inn)
    elif isinstance(first, Contact) and isinstance(second, Contact):
        key = person_key(first.last_name, first.first_name)
        if key and key == person_key(second.last_name, second.first_name):
            score = 1.0 if patronymics_agree(first.middle_name, second.middle_name) else 0.0
    owner = kind.owner_field
    numbers = set(
        kind.phone_model.objects.filter(**{owner: first}).values_list("number", flat=True)
    )
    for number in kind.phone_model.objects.filter(**{owner: second}).values_list(
        "number", flat=True
    ):
        if number in numbers:
            reasons.append(_("same phone %(phone)s") % {"phone": format_phone(number)})
    addresses = {
        address.lower()
        for address in kind.email_model.objects.filter(**{owner: first}).values_list(
            "address", flat=True
        )
    }
    for address in kind.email_model.objects.filter(**{owner: second}).values_list(
        "address", flat=True
    ):
        if address.lower() in addresses:
            reasons.append(_("same email %(email)s") % {"email": address.lower()})
    if score >= SIMILARITY_THRESHOLD:
        reasons.append(_similar_reason(score))
    return list(dict.fromkeys(reasons))
