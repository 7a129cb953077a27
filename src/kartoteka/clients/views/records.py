"""Pages for companies and contacts: list, card, create, edit, trash, share, search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.accounts.models import User
from kartoteka.clients import fields, list_rows, queries
from kartoteka.clients.forms import (
    CUSTOM_PREFIX,
    CompanyForm,
    CompanyPhoneFormSet,
    ContactForm,
    EmailFormSet,
    EmploymentFormSet,
    MessengerFormSet,
    PhoneFormSet,
    RecordForm,
    RelatedFormSet,
    form_sections,
    inline_names,
    rows,
)
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.models.channels import MessengerKind
from kartoteka.clients.models.company import CompanyStatus
from kartoteka.clients.services import common
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.contacts import contact_create, contact_update
from kartoteka.clients.views import list_state
from kartoteka.core import access, audit, audit_text, cards, kinds
from kartoteka.core.dates import days_until_next
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.ids import parse_id
from kartoteka.core.models import Record
from kartoteka.core.pagination import keyset_page
from kartoteka.core.prefetch import attach_known, prefetched
from kartoteka.core.search import Group
from kartoteka.core.search import find as find_records
from kartoteka.core.web import apply_domain_error, options_html, signed_in
from kartoteka.records import columns, sharing
from kartoteka.records.models import CustomField
from kartoteka.records.services import undo
from kartoteka.records.sharing_forms import ShareForm
from kartoteka.records.views import bulk as bulk_views
from kartoteka.records.views import undo as undo_views


@dataclass(frozen=True)
class ListSpec:
    name: str
    formset: type[forms.BaseFormSet]  # type: ignore[type-arg]
    keys: tuple[str, ...]
    label: str


PHONES = ListSpec("phones", PhoneFormSet, ("number", "kind"), "Phones")
COMPANY_PHONES = ListSpec("phones", CompanyPhoneFormSet, ("number", "kind"), "Phones")
EMAILS = ListSpec("emails", EmailFormSet, ("address", "kind"), "Emails")
MESSENGERS = ListSpec("messengers", MessengerFormSet, ("handle", "kind"), "Messengers")
EMPLOYMENTS = ListSpec("employments", EmploymentFormSet, ("company", "position"), "Companies")
RELATED = ListSpec(
    "related_persons",
    RelatedFormSet,
    ("name", "relation", "birthday", "anniversary"),
    "Related persons",
)

KINDS: dict[str, dict[str, Any]] = {
    "company": {
        "model": Company,
        "form": CompanyForm,
        "list": queries.companies,
        "one": queries.company,
        "create": company_create,
        "update": company_update,
        "object_arg": "company",
        "section": "companies",
        "entity": "companies",
        "sortable": kinds.sortable(fields.COMPANY_FIELDS),
        "lists": (COMPANY_PHONES, EMAILS),
    },
    "contact": {
        "model": Contact,
        "form": ContactForm,
        "list": queries.contacts,
        "one": queries.contact,
        "create": contact_create,
        "update": contact_update,
        "object_arg": "contact",
        "section": "contacts",
        "entity": "contacts",
        "sortable": kinds.sortable(fields.CONTACT_FIELDS),
        "lists": (PHONES, EMAILS, MESSENGERS, EMPLOYMENTS, RELATED),
    },
}


def _one(kind: str, request: HttpRequest, pk: int, action: str = "view") -> Any:
    try:
        return KINDS[kind]["one"](signed_in(request), pk, action)
    except NotFoundError:
        raise Http404 from None


def _custom_values(entity: str, obj: Record) -> list[tuple[str, Any]]:
    values = getattr(obj, "custom_fields", {})
    shown = []
    for field in CustomField.objects.filter(entity=entity):
        value = values.get(field.code)
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif isinstance(value, list):
            value = ", ".join(value)
        shown.append((field.label, value))
    return shown


#: the list's paging parameters (``from`` marks the row a card was left from)
PAGING = ("after", "before", "from")
#: the filters always on the filter bar; the others wait under "More filters"
PRIMARY_FILTERS = ("owner", "tag", "status", "city", "company")
NOT_FILTERS = (*PAGING, "q", "view", "sort", "cols", "density")


@login_required
def record_list(request: HttpRequest, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    user = signed_in(request)
    if not access.has_any(user, spec["entity"], "view"):
        raise Http404
    text = request.GET.get("q", "")
    page = keyset_page(
        queries.page_rows(user, spec["list"](user, text=text, params=request.GET)),
        request.GET,
        sortable=spec["sortable"],
        count=True,
        alternatives=queries.list_alternatives(user, spec["model"], request.GET),
    )
    list_state.remember(request, kind)
    filters = {key: value for key, value in request.GET.items() if key not in NOT_FILTERS and value}
    # Read once: the filter bar, the column chooser and the bulk bar all show them.
    custom_fields, tags, branches, saved_views = queries.list_page_tables(user, spec["entity"])
    record_kind = kinds.record_kind(spec["entity"])
    assert record_kind is not None
    column_keys, custom_columns = columns.chosen(record_kind, custom_fields, request.GET)
    fixed = list_state.hidden_columns(user, spec["entity"])
    if not request.GET.getlist("cols"):
        column_keys = [key for key in column_keys if key not in fixed]
    owners = list(access.scoped(User.objects.filter(is_active=True), user).order_by("last_name"))
    attach_known(page.rows, "owner", owners)
    attach_known(page.rows, "branch", branches)
    bulk = bulk_views.list_context(
        request, kind, page, owners=owners, tags=tags, custom_fields=custom_fields
    )
    all_columns = columns.columns(record_kind)
    shared = list_rows.Page(
        columns=column_keys,
        labels={column.key: str(column.label) for column in all_columns},
        custom_columns=custom_columns,
        pick=bool(bulk["bulk"]),
    )
    return render(
        request,
        f"clients/{kind}_list.html",
        {
            "page": page,
            "query": text,
            "section": spec["section"],
            "filters": filters,
            "filtered": bool(text or filters),
            "may_create": access.has_any(user, spec["entity"], "create"),
            "may_export": access.has_any(user, spec["entity"], "export"),
            # The export takes exactly the list's filters and sort (paging aside), URL-encoded.
            "export_query": urlencode(
                [(k, str(v)) for k, v in request.GET.items() if k not in PAGING]
            ),
            "fixed": fixed,
            "density": list_state.density(request, user),
            "owner_options": options_html(
                ((person.pk, person) for person in owners), request.GET.get("owner", "")
            ),
            "tags": tags,
            "branches": branches,
            "statuses": CompanyStatus.choices,
            "custom_filters": custom_fields,
            "entity": spec["entity"],
            "saved_views": saved_views,
            "current_view": request.GET.get("view", ""),
            "query_without_after": urlencode(
                [
                    (k, value)
                    for k, values in request.GET.lists()
                    if k not in PAGING
                    for value in values
                    if value
                ]
            ),
            "columns": column_keys,
            "custom_columns": custom_columns,
            "all_columns": all_columns,
            "rows": list_rows.rows(kind, page.rows, shared),
            "more_filters": any(key not in PRIMARY_FILTERS for key in filters),
            "column_params": [
                (k, v) for k, vs in request.GET.lists() if k not in (*PAGING, "cols") for v in vs
            ],
            **bulk,
        },
    )


@dataclass(frozen=True)
class CardTab:
    key: str  # the ?tab= value
    panel: str  # the panel's element id (links and tests aim at it)
    label: str
    count: str = ""  # shown beside the label: "3", "100+"
    position: int = 50
    #: a tab another app registered (core.cards): its panel loads from this address
    fragment: str = ""


#: a card shows this many of a company's people; more reads "100+" and the list is one click away
PEOPLE_SHOWN = 100


def _count(number: int, more: bool = False) -> str:
    # A tab's count: none for nothing, "100+" when only the first hundred were read.
    return f"{number}{'+' if more else ''}" if number else ""


def _card_tabs(kind: str, context: dict[str, Any]) -> list[CardTab]:
    obj = context["object"]
    if kind == "company":
        people = _count(len(context["people"]), context["more_people"])
        middle = [CardTab("contacts", "people", _("Contacts"), people, position=20)]
    else:
        middle = [
            CardTab(
                "companies",
                "companies",
                _("Companies"),
                _count(len(context["employments"])),
                position=20,
            ),
            CardTab(
                "related",
                "related",
                _("Related persons"),
                _count(len(obj.related_persons.all())),
                position=25,
            ),
        ]
    own = [
        CardTab("details", "details", _("Details"), position=10),
        *middle,
        CardTab("timeline", "history", _("Timeline"), position=30),
        CardTab("sharing", "sharing", _("Sharing"), _count(len(context["shares"])), position=90),
    ]
    # Tabs other apps registered (the activities' timeline): a key of our own is replaced.
    added = [
        CardTab(
            shown.tab.key,
            shown.tab.key,
            str(shown.tab.label),
            position=shown.tab.position,
            fragment=shown.url,
        )
        for shown in context["registered_tabs"]
    ]
    keys = {tab.key for tab in added}
    merged = [tab for tab in own if tab.key not in keys] + added
    return sorted(merged, key=lambda tab: tab.position)


def _registered_tabs(request: HttpRequest, kind: str, user: User, obj: Any) -> list[cards.ShownTab]:
    """The card's tabs that other apps registered, with their fragments' addresses (the card's
    own query passed on as each tab asks) and their header buttons."""
    shown = []
    for tab in cards.tabs_for(KINDS[kind]["entity"], user):
        query = urlencode(
            [(name, request.GET[name]) for name in tab.params if request.GET.get(name)]
        )
        url = reverse(tab.url_name, kwargs={"pk": obj.pk}) + (f"?{query}" if query else "")
        actions = []
        if tab.actions_shown_to is None or tab.actions_shown_to(user, obj):
            actions = [
                (
                    action,
                    action.href(obj)
                    if action.href is not None
                    else "?" + urlencode({"tab": tab.key, tab.action_param: action.key}),
                )
                for action in tab.actions
                if action.shown_to is None or action.shown_to(user)
            ]
        shown.append(cards.ShownTab(tab=tab, url=url, actions=actions))
    return shown


@login_required
def record_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    return _card(request, kind, _one(kind, request, pk))


def _card(
    request: HttpRequest,
    kind: str,
    obj: Any,
    share_form: ShareForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The card; a share form with errors comes back on its tab, as the user left it (422)."""
    user = signed_in(request)
    registered = _registered_tabs(request, kind, user, obj)
    context: dict[str, Any] = {
        "object": obj,
        "section": KINDS[kind]["section"],
        "registered_tabs": registered,
        "card_actions": [pair for shown in registered for pair in shown.actions],
        "may_edit": access.can(user, "edit", obj),
        "inline": inline_names(kind, user, obj),
        "may_delete": access.can(user, "delete", obj),
        "shares": sharing.shares_seen_by(user, obj),
        "may_share": sharing.may_share(user, obj),
        "custom_values": _custom_values(KINDS[kind]["entity"], obj),
    }
    if not any(shown.tab.key == "timeline" for shown in registered):
        # Without a registered timeline the tab shows the audit trail; names of linked records
        # the user may not see read as "hidden record".
        context["history_tab"] = True
        context["history"] = audit_text.describe(audit.shown_to(user, audit.entries_for(obj)[:50]))
    if context["may_share"]:  # the pickers cost queries: only for those who may share
        context["share_form"] = share_form or ShareForm(actor=user)
    if kind == "company":
        people = list(queries.company_people(user, obj)[: PEOPLE_SHOWN + 1])
        context["people"] = people[:PEOPLE_SHOWN]
        context["more_people"] = len(people) > PEOPLE_SHOWN
    else:
        # Prefetched under the access rule: hidden and trashed companies are not among them.
        context["employments"] = prefetched(obj, "employments")
        if obj.birthday:
            context["birthday_in_days"] = days_until_next(obj.birthday, timezone.localdate())
    # Every tab is rendered and the chosen one shown: links work without JavaScript (?tab=),
    # and with it switching is instant.
    context["tabs"] = _card_tabs(kind, context)
    context.update(
        list_state.walk(request, kind, obj, KINDS[kind]["list"], KINDS[kind]["sortable"])
    )
    chosen = "sharing" if share_form is not None else request.GET.get("tab", "")
    context["tab"] = next((t for t in context["tabs"] if t.key == chosen), context["tabs"][0])
    return render(request, f"clients/{kind}_detail.html", context, status=status)


def _list_initial(spec: ListSpec, obj: Any, request: HttpRequest) -> list[dict[str, Any]]:
    if obj is None:
        company = parse_id(request.GET.get("company", ""))
        if spec.name == "employments" and company is not None:
            # "A new person at this company": only a company the user may see is filled in.
            visible = access.scoped(Company.objects.filter(pk=company), signed_in(request))
            return [{"company": company}] if visible.exists() else []
        return []
    if spec.name == "phones":
        return [{"number": p.display, "kind": p.kind} for p in obj.phones.all()]
    if spec.name == "emails":
        return [{"address": e.address, "kind": e.kind} for e in obj.emails.all()]
    if spec.name == "employments":
        # Only the links the user may see are offered; the service keeps the others.
        return [
            {"company": e.company_id, "position": e.position}
            for e in prefetched(obj, "employments")
        ]
    if spec.name == "messengers":
        return [
            {
                # A kind stored through the API before kinds were checked reads as "other".
                "kind": m.get("kind") if m.get("kind") in MessengerKind.values else "other",
                "handle": m.get("handle", ""),
            }
            for m in obj.messengers or []
            if isinstance(m, dict)
        ]
    return [
        {
            "name": r.name,
            "relation": r.relation,
            "birthday": r.birthday,
            "anniversary": r.anniversary,
        }
        for r in obj.related_persons.all()
    ]


def _formsets(kind: str, request: HttpRequest, obj: Any, data: Any) -> dict[str, forms.BaseFormSet]:  # type: ignore[type-arg]
    actor = signed_in(request)
    built = {}
    for spec in KINDS[kind]["lists"]:
        kwargs: dict[str, Any] = {"prefix": spec.name, "initial": _list_initial(spec, obj, request)}
        if spec.name == "employments":
            jobs = prefetched(obj, "employments") if obj is not None else []
            labels = {job.company_id: str(job.company) for job in jobs}
            kwargs["form_kwargs"] = {"actor": actor, "labels": labels}
        built[spec.name] = spec.formset(data, **kwargs)
    return built


@login_required
def record_form(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    spec = KINDS[kind]
    actor = signed_in(request)
    obj = _one(kind, request, pk, "edit") if pk is not None else None
    if obj is None and not access.has_any(actor, spec["entity"], "create"):
        raise Http404
    data = request.POST if request.method == "POST" else None
    form: RecordForm = spec["form"](data, instance=obj, actor=actor)
    formsets = _formsets(kind, request, obj, data)
    conflict = None
    if data is not None and form.is_valid() and all(fs.is_valid() for fs in formsets.values()):
        values = form.service_values()
        for list_spec in spec["lists"]:
            values[list_spec.name] = rows(formsets[list_spec.name], list_spec.keys)
        try:
            if obj is None:
                saved = spec["create"](actor=actor, values=values)
                messages.success(request, _("Saved."))
            else:
                saved = spec["update"](
                    actor=actor,
                    version=form.cleaned_data.get("version") or 0,
                    values=values,
                    **{spec["object_arg"]: obj},
                )
                messages.success(request, _("Changes saved."))
            if not access.can(actor, "view", saved):
                # A group rule gave the record to someone outside the actor's scope.
                messages.info(
                    request,
                    _("A group rule gave “%(name)s” to %(owner)s.")
                    % {"name": saved, "owner": saved.owner},
                )
                return redirect(f"clients:{kind}-list")
            return redirect(f"clients:{kind}-detail", pk=saved.pk)
        except DomainError as error:
            for name in list(error.fields):
                if name.startswith("custom_fields."):
                    error.fields[CUSTOM_PREFIX + name.split(".", 1)[1]] = error.fields.pop(name)
            conflict = apply_domain_error(form, error)
            if conflict:
                # Keep the user's edits but arm the form with the current version.
                fresh = request.POST.copy()
                fresh["version"] = str(conflict["version"])
                form = spec["form"](fresh, instance=obj, actor=actor)
                form.is_valid()
    status = 409 if conflict else (422 if data is not None else 200)
    return render(
        request,
        f"clients/{kind}_form.html",
        {
            "form": form,
            "formsets": [(s, formsets[s.name]) for s in spec["lists"]],
            "sections": form_sections(form, formsets),
            "object": obj,
            "section": spec["section"],
            "conflict": conflict,
        },
        status=status,
    )


@login_required
@require_POST
def record_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj = _one(kind, request, pk)
    try:
        common.record_trash(actor=signed_in(request), obj=obj)
    except NotFoundError:
        raise Http404 from None
    undo_views.offer(
        request,
        _("“%(name)s” moved to the trash.") % {"name": obj},
        undo.for_trash(obj),
        back=reverse(f"clients:{kind}-detail", kwargs={"pk": obj.pk}),
    )
    return redirect(f"clients:{kind}-list")


@login_required
@require_POST
def record_share(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj: Record = _one(kind, request, pk)
    actor = signed_in(request)
    try:
        sharing.check_may_share(actor, obj)  # first: a recipient learns only that they may not
        form = ShareForm(request.POST, actor=actor)
        if form.is_valid():
            sharing.share_create(actor=actor, obj=obj, **form.share_arguments())
            messages.success(request, _("Access opened."))
            return redirect(reverse(f"clients:{kind}-detail", kwargs={"pk": pk}) + "?tab=sharing")
    except NotFoundError:
        raise Http404 from None
    except ForbiddenError as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:  # beside the field: whom, or the date
        for name, problems in error.fields.items():
            for problem in problems:
                form.add_error("until" if name == "until" else "target", problem)
        if not error.fields:
            form.add_error(None, error.message)
    return _card(request, kind, obj, share_form=form, status=422)


@login_required
@require_POST
def record_unshare(request: HttpRequest, kind: str, pk: int, share_id: int) -> HttpResponse:
    obj = _one(kind, request, pk)
    try:
        share = sharing.share_remove(actor=signed_in(request), obj=obj, share_id=share_id)
    except NotFoundError:
        raise Http404 from None
    except ForbiddenError as error:
        raise PermissionDenied(error.message) from None
    back = reverse(f"clients:{kind}-detail", kwargs={"pk": pk}) + "?tab=sharing"
    undo_views.offer(request, _("Access removed."), undo.for_unshare(obj, share), back=back)
    return redirect(back)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The top bar's box: companies, contacts and other kinds' records the user may see, grouped
    by kind."""
    text = request.GET.get("q", "").strip()
    groups = find_records(signed_in(request), text)
    empty = Group(hits=[], more=False)
    others = [
        (kind, groups[kind.search.group])
        for kind in kinds.record_kinds()
        if kind.search is not None
        and kind.search.group not in ("companies", "contacts")
        and groups.get(kind.search.group, empty).hits
    ]
    return render(
        request,
        "clients/search.html",
        {
            "query": text,
            "companies": groups.get("companies", empty),
            "contacts": groups.get("contacts", empty),
            "others": others,
        },
    )
