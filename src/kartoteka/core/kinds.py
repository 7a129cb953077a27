"""The registry of what the access table governs: entities, and the record kinds among them.

An app registers its entities from its ``kinds.py`` in ``AppConfig.ready``; the role editor, the
audit trail and every platform feature read this registry instead of a closed list, so a new app
plugs in without editing ``accounts`` or ``core``.

A *record kind* (:class:`RecordKind`) is a :class:`~kartoteka.core.models.Record` model with
everything the platform needs to know to give it custom fields, tags, saved views, group rules,
bulk changes with undo, export, duplicates and merge, trash, hand-over, search and a row in the
role editor: its names, its URLs, and one list of field descriptors (:class:`Field`) that drives
its list's filters, sort and columns, its bulk-editable fields, its export columns and the field
names of its form and API. :func:`register_kind` registers its access-table entity with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import QuerySet
from django.utils.text import capfirst

from kartoteka.core import access

if TYPE_CHECKING:
    from kartoteka.accounts.models import User
    from kartoteka.core.models import Record
    from kartoteka.core.search import Source

#: every action of the access table; the scopes, narrowest first
ACTIONS = access.ACTIONS
SCOPES = access.SCOPES


@dataclass(frozen=True)
class Entity:
    """One row of the access table: a code stored in role grants, and its name for people."""

    code: str
    #: shown in the role editor and the audit trail (a lazy translation)
    label: Any
    #: the role editor lists entities by this, then by code
    position: int = 100
    #: action -> the scopes that mean something for it; the role editor offers only these cells
    cells: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)


_ENTITIES: dict[str, Entity] = {}


def register_entity(entity: Entity) -> None:
    """Add an entity; registering the same code twice with another definition is a bug."""
    known = _ENTITIES.get(entity.code)
    if known is not None and (known != entity or dict(known.cells) != dict(entity.cells)):
        raise ValueError(f"Entity {entity.code!r} is registered twice, differently.")
    _ENTITIES[entity.code] = entity


def entities() -> list[Entity]:
    """Every registered entity, in the role editor's order."""
    return sorted(_ENTITIES.values(), key=lambda entity: (entity.position, entity.code))


def entity(code: str) -> Entity | None:
    return _ENTITIES.get(code)


def entity_label(code: str) -> str:
    """The entity's name in the reader's language; an unknown code is shown as it is."""
    found = _ENTITIES.get(code)
    return str(found.label) if found is not None else code


# --- Record kinds --------------------------------------------------------------------------------

#: How a field's value reads (export cells, bulk values): plain text; one of the model field's
#: choices; a date; a moment; a person or a branch (a foreign key shown by name).
TEXT, CHOICE, DATE, DATETIME, PERSON, BRANCH = (
    "text",
    "choice",
    "date",
    "datetime",
    "person",
    "branch",
)
#: A list the record holds (phones, tags...) or structured JSON: never set or filtered as text.
LIST = "list"


@dataclass(frozen=True)
class Field:
    """One thing a record kind shows or takes, and where it appears.

    ``name`` is the model field, or the name of a derived value (``phones``, the first ``phone``).
    ``label`` defaults to the model field's verbose name with a capital letter.
    """

    name: str
    label: Any = None
    type: str = TEXT
    #: on the card's form (its field names come from here)
    form: bool = False
    #: in the API's representation, and written through it when the service takes it
    api: bool = False
    #: a bulk "replace the value" may set it
    bulk: bool = False
    #: the lookup a list filter (page and API) applies, e.g. ``city__folded``; empty: none
    filter: str = ""
    #: the query parameter of that filter, when not ``name`` (``tag`` for ``tags__name``)
    param: str = ""
    #: the list's ``?sort=`` key ordering by this field; empty: not sortable
    sort: str = ""
    #: the columns that order rows equal in this one, in that sort (a surname's first names)
    sort_then: tuple[str, ...] = ()
    #: the list's ``?cols=`` key showing it as a column; empty: not a column
    column: str = ""
    #: the column's heading, when not ``label``
    column_label: Any = None
    #: in the CSV export: True reads the value by ``type``; a callable reads it from the record
    export: bool | Callable[[Any], Any] = False
    #: a group rule may test it
    rule: bool = False

    @property
    def query_param(self) -> str:
        return self.param or self.name


def names(fields: tuple[Field, ...], flag: str) -> tuple[str, ...]:
    """Names of the fields with ``flag`` set (``"form"``, ``"api"``, ``"bulk"``...), in order."""
    return tuple(item.name for item in fields if getattr(item, flag))


def filters(fields: tuple[Field, ...]) -> dict[str, str]:
    """The list filters of ``fields``: query parameter -> lookup."""
    return {item.query_param: item.filter for item in fields if item.filter}


def sortable(fields: tuple[Field, ...]) -> dict[str, tuple[str, ...]]:
    """The list's sort keys of ``fields``: ``?sort=`` value -> the columns ordered by."""
    return {item.sort: (item.name, *item.sort_then) for item in fields if item.sort}


def sort_columns(fields: tuple[Field, ...]) -> tuple[str, ...]:
    """The columns the list of ``fields`` sorts by, named as in the API (``?ordering=``)."""
    ordered = (column for columns in sortable(fields).values() for column in columns)
    return tuple(dict.fromkeys(ordered))


class LinkMover(Protocol):
    """Moves one kind of link from a record merged away to the survivor; returns the changes
    for the survivor's audit entry (``{"deals": [before, after]}``) or ``{}``."""

    def __call__(self, *, actor: User, survivor: Any, other: Any) -> dict[str, list[Any]]: ...


#: (user, *, text, params, action) -> the kind's records the user may ``action``, searched and
#: filtered as its list page and API filter them
Listing = Callable[..., QuerySet[Any]]


@dataclass(frozen=True)
class DuplicateReason:
    """One reason two records of a kind may be one (a tab of the Duplicates page).

    ``rows(editable)`` gives (rows to group, the key column, the record id column) among the
    records the user may edit; records sharing a key are a group. ``describe(value, score)`` is a
    pair's reason as people read it (``score``: a percentage, 100 unless only similar).
    """

    code: str
    label: Any
    rows: Callable[[QuerySet[Any]], tuple[QuerySet[Any], str, str]]
    describe: Callable[[str, int], str]
    #: at most this many records of a group are looked at
    members: int = 10
    #: for keys that group records only roughly (names in blocks of the same first letters):
    #: ``details(rows, ids)`` -> {pk: (key, detail)} of the page's records, and ``similarity`` of
    #: two (key, detail) pairs, 0..1, which pairs records within a group
    details: Callable[[QuerySet[Any], set[int]], dict[int, tuple[str, str]]] | None = None
    similarity: Callable[[tuple[str, str], tuple[str, str]], float] | None = None


#: what every built-in role gets on a kind: role code -> action -> scope
BuiltinGrants = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, eq=False)  # one object per kind: compared and hashed by identity
class RecordKind:
    """A registered kind of record and everything the platform gives it."""

    model: type[Record]
    #: the access-table entity, plural: "companies" (also the kind's key in settings)
    entity: str
    #: singular code, used in URL names ("company-bulk") and search hits ("company")
    code: str
    label: Any
    plural: Any
    #: URL names of the kind's own list and card (``reverse(list_url)``, ``(detail_url, pk)``)
    list_url: str
    detail_url: str
    fields: tuple[Field, ...]
    #: URL name of the page making a new record, and its command in the command box ("New
    #: deal"), offered to whoever may create records of the kind; empty: no such command
    create_url: str = ""
    create_label: Any = None
    #: the list's column chooser, in order (``Field.column`` keys), and what it shows by default
    columns: tuple[str, ...] = ()
    default_columns: tuple[str, ...] = ()
    #: how the kind is found by the top bar's search (registered with it)
    search: Source | None = None
    #: the kind's scoped, searched, filtered list; None: the platform's generic one
    listing: Listing | None = None
    #: what a merge moves from the record merged away, in order: (name, mover)
    link_movers: tuple[tuple[str, LinkMover], ...] = ()
    #: fields whose value the merge screen asks for; list fields united on merge
    merged_fields: tuple[str, ...] = ()
    united_fields: tuple[str, ...] = ()
    #: the merge screen's URL name (pk, other); empty: pairs are listed, not merged
    merge_url: str = ""
    duplicate_reasons: tuple[DuplicateReason, ...] = ()
    #: administrators define custom fields for it (values in ``custom_fields``); it carries tags
    custom_fields: bool = True
    tags: bool = True
    #: a departing employee's hand-over moves the records they own
    handover: bool = True
    #: action -> meaningful scopes (default: every action, every scope)
    cells: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict.fromkeys(ACTIONS, SCOPES)
    )
    #: what the built-in roles get (the administrator always gets every cell)
    builtin_grants: BuiltinGrants = field(default_factory=dict)
    #: the role editor's order
    position: int = 50

    @property
    def url_plural(self) -> str:
        """The path segment of the kind's pages: ``companies`` in ``/companies/bulk/``."""
        return self.entity

    def label_of(self, item: Field) -> str:
        """A field's label in the reader's language: its own, or the model field's name."""
        if item.label is not None:
            return str(item.label)
        verbose = self.model._meta.get_field(item.name).verbose_name  # type: ignore[union-attr]
        return str(capfirst(str(verbose)))

    def names(self, flag: str) -> tuple[str, ...]:
        return names(self.fields, flag)

    def filters(self) -> dict[str, str]:
        return filters(self.fields)

    def sortable(self) -> dict[str, tuple[str, ...]]:
        return sortable(self.fields)

    def column_fields(self) -> list[Field]:
        """The columns one can choose, in the chooser's order."""
        by_key = {item.column: item for item in self.fields if item.column}
        return [by_key[key] for key in self.columns if key in by_key]


_KINDS: dict[str, RecordKind] = {}


def register_kind(kind: RecordKind) -> None:
    """Register a record kind (from its app's ``kinds.py`` in ``AppConfig.ready``): its entity in
    the access table, its search source; the platform's pages and services then serve it."""
    if kind.model.access_entity != kind.entity:
        raise ValueError(f"{kind.model.__name__}.access_entity is not {kind.entity!r}.")
    known = _KINDS.get(kind.entity)
    if known is not None and known.model is not kind.model:
        raise ValueError(f"Record kind {kind.entity!r} is registered twice, differently.")
    if any(other.code == kind.code and other.entity != kind.entity for other in _KINDS.values()):
        raise ValueError(f"Record kind code {kind.code!r} is taken.")
    _KINDS[kind.entity] = kind
    register_entity(
        Entity(code=kind.entity, label=kind.plural, position=kind.position, cells=kind.cells)
    )
    if kind.search is not None:
        from kartoteka.core import search

        search.register(kind.search)


def record_kinds() -> list[RecordKind]:
    """Every registered record kind, in the role editor's order."""
    return sorted(_KINDS.values(), key=lambda kind: (kind.position, kind.entity))


def record_kind(entity: str) -> RecordKind | None:
    """The kind registered under ``entity`` ("companies"), or None."""
    return _KINDS.get(entity)


def by_code(code: str) -> RecordKind | None:
    """The kind whose singular code is ``code`` ("company"), or None."""
    return next((kind for kind in _KINDS.values() if kind.code == code), None)


def kind_of(model: type[Any]) -> RecordKind:
    """The kind of ``model``; a model that is not a registered record kind is a bug."""
    found = _KINDS.get(getattr(model, "access_entity", ""))
    if found is None or found.model is not model:
        raise LookupError(f"{model.__name__} is not a registered record kind.")
    return found


def kinds_with(flag: str) -> list[RecordKind]:
    """The kinds that have ``flag`` (``"custom_fields"``, ``"tags"``, ``"handover"``) set."""
    return [kind for kind in record_kinds() if getattr(kind, flag)]


_EXTRA_MOVERS: dict[str, list[tuple[str, LinkMover]]] = {}


def register_link_mover(entity: str, name: str, mover: LinkMover) -> None:
    """Have ``mover`` move ``name`` links on merges of ``entity`` records too.

    For apps that link to another app's records (deals to companies): they call this in their
    ``AppConfig.ready``. Registering a name again replaces it.
    """
    movers = _EXTRA_MOVERS.setdefault(entity, [])
    movers[:] = [(known, m) for known, m in movers if known != name]
    movers.append((name, mover))


def unregister_link_mover(entity: str, name: str) -> None:
    """Take back a mover :func:`register_link_mover` added."""
    movers = _EXTRA_MOVERS.get(entity, [])
    movers[:] = [(known, m) for known, m in movers if known != name]


def link_movers(entity: str) -> list[tuple[str, LinkMover]]:
    """What a merge of ``entity`` records moves, in order: the kind's own movers, then others'."""
    kind = _KINDS.get(entity)
    own = list(kind.link_movers) if kind is not None else []
    extra = _EXTRA_MOVERS.get(entity, [])
    replaced = {name for name, _mover in extra}
    return [(name, m) for name, m in own if name not in replaced] + extra


# --- Links under the access rule ----------------------------------------------------------------


def linked(user: User, queryset: QuerySet[Any], through: str) -> QuerySet[Any]:
    """Rows of ``queryset`` (links: a contact's jobs, a company's people...) whose record at the
    far end, ``through``, ``user`` may see and is not in the trash.

    The one way a record's links are read, so a record the user gets 404 on, or one in the trash,
    is named nowhere (card, list, export, search hit, merge screen, API), at no query per row: the
    access rule is a join in the same query.
    """
    far = queryset.model._meta.get_field(through).related_model
    condition = access.visible(user, far, through=f"{through}__")  # type: ignore[arg-type]
    if condition is None:
        return queryset.none()
    return queryset.filter(condition, **{f"{through}__deleted_at__isnull": True})
