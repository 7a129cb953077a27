"""Settings › Refusal reasons: the list inquiries choose from when a client refused."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kartoteka.activities.models import RefusalReason
from kartoteka.activities.services import reasons
from kartoteka.core import access
from kartoteka.core.errors import DomainError
from kartoteka.core.web import apply_domain_error, signed_in


class ReasonForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    active = forms.BooleanField(label=gettext_lazy("Offered"), required=False, initial=True)


def _require(request: HttpRequest, action: str) -> None:
    # Company settings, as on the tags page: settings "view" reads, settings "edit" changes.
    if not access.has_any(signed_in(request), "settings", action):
        raise Http404


def _page(
    request: HttpRequest,
    new: ReasonForm | None = None,
    bound: ReasonForm | None = None,
    pk: int = 0,
) -> HttpResponse:
    rows = []
    for reason in RefusalReason.objects.order_by("position", "name"):
        form = bound if bound is not None and reason.pk == pk else None
        form = form or ReasonForm(
            initial={"name": reason.name, "active": reason.active}, prefix=f"r{reason.pk}"
        )
        rows.append((reason, form))
    return render(
        request,
        "activities/reason_list.html",
        {
            "rows": rows,
            "new_form": new or ReasonForm(prefix="new"),
            "bound": bound,
            "may_edit": access.has_any(signed_in(request), "settings", "edit"),
            "section": "settings",
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
def reason_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    return _page(request)


@login_required
@require_POST
def reason_create(request: HttpRequest) -> HttpResponse:
    _require(request, "edit")
    form = ReasonForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            reason = reasons.reason_create(actor=signed_in(request), name=form.cleaned_data["name"])
            messages.success(request, _("Reason “%(name)s” added.") % {"name": reason.name})
            return redirect("activities:refusal-reason-list")
        except DomainError as error:
            apply_domain_error(form, error)
    return _page(request, new=form)


@login_required
@require_POST
def reason_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    reason = get_object_or_404(RefusalReason, pk=pk)
    form = ReasonForm(request.POST, prefix=f"r{reason.pk}")
    if form.is_valid():
        try:
            saved = reasons.reason_update(
                actor=signed_in(request),
                reason=reason,
                name=form.cleaned_data["name"],
                active=form.cleaned_data["active"],
            )
            messages.success(request, _("Reason “%(name)s” saved.") % {"name": saved.name})
            return redirect("activities:refusal-reason-list")
        except DomainError as error:
            apply_domain_error(form, error)
    return _page(request, bound=form, pk=reason.pk)


@login_required
@require_POST
def reason_move(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    reason = get_object_or_404(RefusalReason, pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    reasons.reason_move(actor=signed_in(request), reason=reason, offset=offset)
    return redirect("activities:refusal-reason-list")
