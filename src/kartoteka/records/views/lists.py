"""Saving and removing named list views (the tabs above every record kind's list)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.core import kinds
from kartoteka.core.errors import DomainError, NotFoundError
from kartoteka.core.web import signed_in
from kartoteka.records import queries
from kartoteka.records.services import undo
from kartoteka.records.services.saved_views import (
    saved_view_create,
    saved_view_delete,
    saved_view_snapshot,
)
from kartoteka.records.views import undo as undo_views


def _list_url(entity: str) -> str:
    kind = kinds.record_kind(entity)
    if kind is None:
        raise Http404
    return reverse(kind.list_url)


@login_required
@require_POST
def saved_view_new(request: HttpRequest) -> HttpResponse:
    entity = request.POST.get("entity", "")
    list_url = _list_url(entity)
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
        return redirect(list_url + "?" + request.POST.get("query", ""))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(list_url + f"?{view.query}&view={view.pk}")


@login_required
@require_POST
def saved_view_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    view = next(
        (
            v
            for kind in kinds.record_kinds()
            for v in queries.saved_views(user, kind.entity)
            if v.pk == pk
        ),
        None,
    )
    if view is None:
        raise Http404
    snapshot = saved_view_snapshot(view)
    try:
        saved_view_delete(actor=user, view=view)
    except NotFoundError:
        raise Http404 from None
    list_url = _list_url(view.entity)
    undo_views.offer(
        request,
        _("View “%(name)s” removed.") % {"name": view.name},
        undo.for_view_delete(snapshot),
        back=list_url + f"?{view.query}&view={snapshot['pk']}",
    )
    return redirect(list_url)
