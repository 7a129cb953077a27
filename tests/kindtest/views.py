"""The gadgets' own pages, as a record kind's app would have them: a list and a card."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from kartoteka.core import access, kinds
from kartoteka.core.errors import NotFoundError
from kartoteka.core.web import signed_in
from kartoteka.records import queries


@login_required
def gadget_list(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if not access.has_any(user, "gadgets", "view"):
        raise Http404
    kind = kinds.record_kind("gadgets")
    assert kind is not None
    rows = queries.listing(kind, user, text=request.GET.get("q", ""), params=request.GET)
    return HttpResponse("\n".join(f"{gadget.pk}: {gadget.name}" for gadget in rows))


@login_required
def gadget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    kind = kinds.record_kind("gadgets")
    assert kind is not None
    try:
        gadget = access.one_or_404(queries.listing(kind, signed_in(request)), pk=pk)
    except NotFoundError:
        raise Http404 from None
    return HttpResponse(f"{gadget.name} {gadget.custom_fields}")
