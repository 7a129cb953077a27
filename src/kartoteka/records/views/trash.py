"""The trash page: deleted records of every kind, restorable.

Administrators see everyone's; others see the records they deleted or own (``core.trash``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.core import trash
from kartoteka.core.errors import NotFoundError
from kartoteka.core.web import signed_in


@login_required
def trash_list(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if not trash.may_use(user):
        raise Http404
    records = trash.trash_list(user)
    for record in records:
        record.may_restore = trash.may_restore(user, record)  # type: ignore[attr-defined]
    return render(
        request,
        "records/trash_list.html",
        {"records": records, "everyone": trash.sees_everyones(user), "section": "settings"},
    )


@login_required
@require_POST
def trash_restore(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    try:
        restored = trash.trash_restore(actor=signed_in(request), label=label, pk=pk)
    except NotFoundError:
        raise Http404 from None
    messages.success(request, _("“%(name)s” restored.") % {"name": restored})
    return redirect("records:trash")
