"""Pages for companies and contacts: list, card, create, edit, trash, share."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.clients import queries, services
from kartoteka.clients.forms import CompanyForm, ContactForm, RecordForm, ShareForm
from kartoteka.core import access, audit, sharing
from kartoteka.core.errors import DomainError, NotFoundError
from kartoteka.core.models import Record
from kartoteka.core.pagination import keyset_page
from kartoteka.core.web import apply_domain_error, signed_in

KINDS: dict[str, dict[str, Any]] = {
    "company": {
        "form": CompanyForm,
        "list": queries.companies,
        "one": queries.company,
        "create": lambda actor, values: services.company_create(actor=actor, values=values),
        "update": lambda actor, obj, version, values: services.company_update(
            actor=actor, company=obj, version=version, values=values
        ),
        "section": "companies",
        "entity": "companies",
    },
    "contact": {
        "form": ContactForm,
        "list": queries.contacts,
        "one": queries.contact,
        "create": lambda actor, values: services.contact_create(actor=actor, values=values),
        "update": lambda actor, obj, version, values: services.contact_update(
            actor=actor, contact=obj, version=version, values=values
        ),
        "section": "contacts",
        "entity": "contacts",
    },
}


def _one(kind: str, request: HttpRequest, pk: int, action: str = "view") -> Any:
    try:
        return KINDS[kind]["one"](signed_in(request), pk, action)
    except NotFoundError:
        raise Http404 from None


@login_required
def record_list(request: HttpRequest, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    if not access.has_any(signed_in(request), spec["entity"], "view"):
        raise Http404
    text = request.GET.get("q", "")
    page = keyset_page(spec["list"](signed_in(request), text=text), request.GET)
    return render(
        request,
        f"clients/{kind}_list.html",
        {
            "page": page,
            "query": text,
            "section": spec["section"],
            "may_create": access.has_any(signed_in(request), spec["entity"], "create"),
        },
    )


@login_required
def record_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj = _one(kind, request, pk)
    user = signed_in(request)
    context: dict[str, Any] = {
        "object": obj,
        "section": KINDS[kind]["section"],
        "history": audit.entries_for(obj)[:50],
        "may_edit": access.can(user, "edit", obj),
        "may_delete": access.can(user, "delete", obj),
        "shares": sharing.shares_of(obj),
        "share_form": ShareForm(),
    }
    if kind == "company":
        context["contacts"] = queries.company_contacts(user, obj)[:100]
    return render(request, f"clients/{kind}_detail.html", context)


@login_required
def record_form(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    spec = KINDS[kind]
    actor = signed_in(request)
    obj = _one(kind, request, pk, "edit") if pk is not None else None
    if obj is None and not access.has_any(actor, spec["entity"], "create"):
        raise Http404
    initial = {"company": request.GET.get("company")} if kind == "contact" and obj is None else {}
    form: RecordForm = spec["form"](
        request.POST or None, instance=obj, actor=actor, initial=initial
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            if obj is None:
                saved = spec["create"](actor, form.service_values())
                messages.success(request, _("Saved."))
            else:
                saved = spec["update"](
                    actor, obj, form.cleaned_data.get("version") or 0, form.service_values()
                )
                messages.success(request, _("Changes saved."))
            return redirect(f"clients:{kind}-detail", pk=saved.pk)
        except DomainError as error:
            conflict = apply_domain_error(form, error)
            if conflict:
                # Keep the user's edits but arm the form with the current version.
                data = request.POST.copy()
                data["version"] = str(conflict["version"])
                form = spec["form"](data, instance=obj, actor=actor)
                form.is_valid()
    status = 409 if conflict else (422 if request.method == "POST" else 200)
    return render(
        request,
        f"clients/{kind}_form.html",
        {
            "form": form,
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
        services.record_trash(actor=signed_in(request), obj=obj)
    except NotFoundError:
        raise Http404 from None
    messages.success(request, _("“%(name)s” moved to the trash.") % {"name": obj})
    return redirect(f"clients:{kind}-list")


@login_required
@require_POST
def record_share(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj: Record = _one(kind, request, pk)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            sharing.share_create(actor=signed_in(request), obj=obj, **form.cleaned_data)
            messages.success(request, _("Shared."))
        except NotFoundError:
            raise Http404 from None
        except DomainError as error:
            messages.error(
                request, "; ".join(m for ms in error.fields.values() for m in ms) or error.message
            )
    else:
        messages.error(
            request,
            "; ".join(str(e) for e in form.non_field_errors()) or _("Check the share form."),
        )
    return redirect(reverse(f"clients:{kind}-detail", kwargs={"pk": pk}) + "#sharing")


@login_required
@require_POST
def record_unshare(request: HttpRequest, kind: str, pk: int, share_id: int) -> HttpResponse:
    obj = _one(kind, request, pk)
    try:
        sharing.share_remove(actor=signed_in(request), obj=obj, share_id=share_id)
    except NotFoundError:
        raise Http404 from None
    messages.success(request, _("Share removed."))
    return redirect(reverse(f"clients:{kind}-detail", kwargs={"pk": pk}) + "#sharing")


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The top bar's box: companies and contacts the user may see, grouped by kind."""
    user = signed_in(request)
    text = request.GET.get("q", "").strip()
    companies = queries.companies(user, text=text).order_by("name")[:20] if text else []
    contacts = queries.contacts(user, text=text).order_by("last_name")[:20] if text else []
    return render(
        request,
        "clients/search.html",
        {"query": text, "companies": companies, "contacts": contacts},
    )
