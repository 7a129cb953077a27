"""Duplicates of companies and contacts: the live warning on create forms and the merge screen.

The Duplicates page, for every record kind, is :mod:`kartoteka.records.views.duplicates`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kartoteka.clients import duplicates, queries
from kartoteka.clients.services.merge import (
    KEEP_OTHER,
    KEEP_SURVIVOR,
    check_may_merge,
    company_merge,
    contact_merge,
    default_choices,
)
from kartoteka.core import access, audit, kinds
from kartoteka.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from kartoteka.core.ids import parse_id
from kartoteka.core.web import signed_in
from kartoteka.records.services import merge_undo
from kartoteka.records.views import undo as undo_views

ENTITY = {"company": "companies", "contact": "contacts"}


@login_required
def duplicates_check(request: HttpRequest, kind: str) -> HttpResponse:
    """The warning fragment the create form fetches while the user types (empty if none)."""
    user, entity = signed_in(request), ENTITY[kind]
    if not access.has_any(user, entity, "view"):
        raise Http404
    params = request.GET

    def many(name: str) -> list[str]:
        return [part for value in params.getlist(name) for part in value.split(",") if part]

    exclude = params.get("exclude", "")
    matches = duplicates.possible_duplicates(
        user,
        entity,
        name=params.get("name", ""),
        inn=params.get("inn", ""),
        last_name=params.get("last_name", ""),
        first_name=params.get("first_name", ""),
        middle_name=params.get("middle_name", ""),
        phones=many("phones"),
        emails=many("emails"),
        exclude=parse_id(exclude),
    )
    return render(request, "clients/_duplicate_warning.html", {"matches": matches, "kind": kind})


def _rows(entity: str, survivor: Any, other: Any, picked: dict[str, str]) -> list[dict[str, Any]]:
    """One row per field for the side-by-side table; a choice only where the values differ."""
    model = type(survivor)
    rows = []
    for name in kinds.kind_of(model).merged_fields:
        mine, theirs = audit.display_value(survivor, name), audit.display_value(other, name)
        rows.append(
            {
                "name": name,
                "label": capfirst(str(model._meta.get_field(name).verbose_name)),
                "survivor": mine,
                "other": theirs,
                "differ": mine not in (None, "") and theirs not in (None, "") and mine != theirs,
                "keep": picked.get(name, KEEP_SURVIVOR),
            }
        )
    return rows


def _lists(
    kind: str, user: Any, survivor: Any, other: Any
) -> list[tuple[str, list[str], list[str]]]:
    """What is united: each list as the two records have it."""

    def phones(obj: Any) -> list[str]:
        return [phone.display for phone in obj.phones.all()]

    def emails(obj: Any) -> list[str]:
        return [email.address for email in obj.emails.all()]

    def tags(obj: Any) -> list[str]:
        return [tag.name for tag in obj.tags.all()]

    lists = [
        (_("Phones"), phones(survivor), phones(other)),
        (_("Emails"), emails(survivor), emails(other)),
        (_("Tags"), tags(survivor), tags(other)),
    ]
    if kind == "company":
        people = [
            [job.contact.full_name for job in queries.company_people(user, obj)[:20]]
            for obj in (survivor, other)
        ]
        lists.append((_("Contacts"), people[0], people[1]))
    else:
        lists.append(
            (
                _("Companies"),
                [job.company.name for job in survivor.employments.all()],
                [job.company.name for job in other.employments.all()],
            )
        )
        lists.append(
            (
                _("Related persons"),
                [str(p) for p in survivor.related_persons.all()],
                [str(p) for p in other.related_persons.all()],
            )
        )
    return lists


def _merge(
    kind: str, request: HttpRequest, survivor: Any, other: Any, picked: dict[str, str]
) -> Any:
    """Run the merge the form asks for: the merged record, or the problem to show (409/422)."""
    for name in kinds.kind_of(type(survivor)).merged_fields:
        if request.POST.get(f"keep_{name}") in (KEEP_SURVIVOR, KEEP_OTHER):
            picked[name] = request.POST[f"keep_{name}"]
    merge: Any = company_merge if kind == "company" else contact_merge
    try:
        return merge_undo.merge_with_undo(
            merge,
            actor=signed_in(request),
            survivor=survivor,
            other=other,
            version=_int(request.POST.get("version")),
            other_version=_int(request.POST.get("other_version")),
            choices=picked,
        )
    except NotFoundError:
        raise Http404 from None
    except DomainError as problem:  # ConflictError included
        return problem


@login_required
def merge_screen(request: HttpRequest, kind: str, pk: int, other: int) -> HttpResponse:
    """Both records side by side; the user picks values per field, lists are united."""
    user, entity = signed_in(request), ENTITY[kind]
    one: Any = queries.company if kind == "company" else queries.contact
    try:
        survivor, second = one(user, pk, "edit"), one(user, other, "edit")
    except NotFoundError:
        raise Http404 from None
    if survivor.pk == second.pk:
        raise Http404
    try:  # not offered at all unless the user may do it: 404 out of reach, 403 not deletable
        check_may_merge(user, survivor, second)
    except NotFoundError:
        raise Http404 from None
    except ForbiddenError as error:
        raise PermissionDenied(error.message) from None
    picked = default_choices(survivor, second)
    outcome = _merge(kind, request, survivor, second, picked) if request.method == "POST" else None
    if outcome is not None and not isinstance(outcome, DomainError):  # merged
        outcome, undo = outcome
        text = _("Merged. “%(name)s” is in the trash and can be restored from there.") % {
            "name": second
        }
        if undo is None:
            messages.success(request, text)
        else:
            back = reverse(f"clients:{kind}-detail", kwargs={"pk": outcome.pk})
            undo_views.offer(request, text, undo, back=back)
        if not access.can(user, "view", outcome):
            # A group rule gave the merged record to someone outside the actor's scope.
            messages.info(
                request,
                _("A group rule gave “%(name)s” to %(owner)s.")
                % {"name": outcome, "owner": outcome.owner},
            )
            return redirect(f"clients:{kind}-list")
        return redirect(f"clients:{kind}-detail", pk=outcome.pk)
    conflict = outcome if isinstance(outcome, ConflictError) else None
    if conflict is not None:
        try:  # show the current values; a record gone meanwhile is simply not found
            survivor, second = one(user, pk, "edit"), one(user, other, "edit")
        except NotFoundError:
            raise Http404 from None
    return render(
        request,
        "clients/merge.html",
        {
            "kind": kind,
            "entity": entity,
            "survivor": survivor,
            "other": second,
            "rows": _rows(entity, survivor, second, picked),
            "lists": _lists(kind, user, survivor, second),
            "reasons": duplicates.shared_with(survivor, second),
            "may_swap": _may_merge(user, second, survivor),
            "conflict": conflict.message if conflict else None,
            "error": outcome if outcome is not None and conflict is None else None,
            "section": entity,
        },
        status=409 if conflict else 422 if outcome is not None else 200,
    )


def _may_merge(user: Any, survivor: Any, other: Any) -> bool:
    try:
        check_may_merge(user, survivor, other)
    except DomainError:
        return False
    return True


def _int(raw: Any) -> int:
    return parse_id(raw) or 0
