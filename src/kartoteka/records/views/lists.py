"""Saving and removing named list views (the tabs above the company and contact lists)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.clients import queries
from kartoteka.core.errors import DomainError, NotFoundError
from kartoteka.core.web import signed_in
from kartoteka.records.services.saved_views import saved_view_create, saved_view_delete

LIST_URL = {"companies": "clients:company-list", "contacts": "clients:contact-list"}


@login_required
@require_POST
def saved_view_new(request: HttpRequest) -> HttpResponse:
    entity = request.POST.get("entity", "")
    if entity not in LIST_URL:
        raise Http404
    try:
        view = saved_view_create(
            actor=signed_in(request),
            entity=entity,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
            is_shared=request.POST.get("is_shared") == "on",
        )
    except NotFoundError:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, "; ".join(m for ms in error.fields.values() for m in ms))
        return redirect(reverse(LIST_URL[entity]) + "?" + request.POST.get("query", ""))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(reverse(LIST_URL[entity]) + f"?{view.query}&view={view.pk}")


@login_required
@require_POST
def saved_view_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    view = next((v for e in LIST_URL for v in queries.saved_views(user, e) if v.pk == pk), None)
    if view is None:
        raise Http404
    try:
        saved_view_delete(actor=user, view=view)
    except NotFoundError:
        raise Http404 from None
    messages.success(request, _("View “%(name)s” removed.") % {"name": view.name})
    return redirect(LIST_URL[view.entity])
