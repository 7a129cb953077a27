"""Pages for bulk changes: the list of recent batches, undo, and a departing employee's handover."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kartoteka.accounts import queries as account_queries
from kartoteka.accounts.models import User
from kartoteka.core import access, batches
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import Batch
from kartoteka.core.pagination import keyset_page
from kartoteka.core.web import apply_domain_error, signed_in

_DONE_KEY = "kartoteka_batch_done"


def remember_done(request: HttpRequest, batch: Batch) -> None:
    """The next page shows the batch's name with an Undo button (once, like a message)."""
    request.session[_DONE_KEY] = batch.pk


def pop_done(request: HttpRequest) -> Batch | None:
    pk = request.session.pop(_DONE_KEY, None)
    if pk is None:
        return None
    return batches.batches_for(signed_in(request)).filter(pk=pk).first()


def _next_url(request: HttpRequest, default: str) -> str:
    target = str(request.POST.get("next", ""))
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    """Recent bulk changes: one's own; an administrator sees everyone's."""
    user = signed_in(request)
    page = keyset_page(batches.batches_for(user), request.GET)
    return render(
        request,
        "records/batch_list.html",
        {
            "page": page,
            "everyone": batches.may_see_all(user),
            # Seeing a batch (batches "view") is not undoing it (batches "edit").
            "undoable": set(
                batches.batches_for(user, "edit")
                .filter(pk__in=[batch.pk for batch in page.rows])
                .values_list("pk", flat=True)
            ),
            "section": "settings",
            "done_batch": pop_done(request),
        },
    )


@login_required
@require_POST
def batch_undo(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    try:
        result = batches.batch_undo(actor=user, batch=batches.batch_for(user, pk))
    except NotFoundError:
        raise Http404 from None
    except ForbiddenError as error:
        raise PermissionDenied(error.message) from None
    except batches.AlreadyUndoneError as error:
        messages.error(request, error.message)
    else:
        (messages.warning if result.kept else messages.success)(request, result.message)
    return redirect(_next_url(request, "records:batch-list"))


class ColleagueChoices(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} · {obj.branch}"


class HandoverForm(forms.Form):
    to_owners = ColleagueChoices(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "check"}),
        label=gettext_lazy("Hand over to"),
        help_text=gettext_lazy("Several colleagues: the records are spread evenly among them."),
        error_messages={"required": gettext_lazy("Choose at least one colleague.")},
    )

    def __init__(
        self, *args: Any, actor: User, person: User, entities: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Only colleagues who may own what is handed over (a marketer edits no client).
        colleagues = access.scoped(User.objects.filter(is_active=True), actor)
        colleagues = batches.eligible_owners(colleagues, entities)
        self.fields["to_owners"].queryset = (  # type: ignore[attr-defined]
            colleagues.exclude(pk=person.pk)
            .select_related("branch")
            .order_by("last_name", "first_name", "username")
        )


@login_required
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything a departing employee owns, handed to colleagues in one undoable step."""
    actor = signed_in(request)
    if not batches.may_hand_over(actor):
        raise Http404
    try:
        person = account_queries.user(actor, pk)
    except NotFoundError:
        raise Http404 from None
    counts = batches.owned_counts(actor, person)
    form = HandoverForm(
        request.POST or None,
        actor=actor,
        person=person,
        entities=batches.handed_entities(counts),
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = batches.handover(
                actor=actor, person=person, to_owners=list(form.cleaned_data["to_owners"])
            )
            remember_done(request, batch)
            return redirect("records:handover", pk=person.pk)
        except DomainError as error:
            apply_domain_error(form, error)
    return render(
        request,
        "records/handover.html",
        {
            "person": person,
            "counts": counts,
            "total": sum(count for _kind, count in counts),
            "form": form,
            "section": "settings",
            "done_batch": pop_done(request),
        },
        status=422 if request.method == "POST" else 200,
    )
