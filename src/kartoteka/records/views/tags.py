"""Settings page for tags: the list with colours and usage, create, rename, recolour, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.core import access, kinds
from kartoteka.core.errors import DomainError
from kartoteka.core.web import apply_domain_error, signed_in
from kartoteka.records.models import GroupRule, Tag
from kartoteka.records.services import tags
from kartoteka.records.settings_forms import TagForm
from kartoteka.records.views.settings import _require

#: colours that keep the white tag text readable (4.5:1), offered beside the colour picker
PALETTE = (
    "#1d5fc4", "#0b7a75", "#2f7d32", "#8a5a00", "#b42318",
    "#c2185b", "#7b3fb8", "#4a5568", "#005f87", "#6d4c41",
)  # fmt: skip


def _row_form(tag: Tag, data: QueryDict | None = None) -> TagForm:
    return TagForm(data, initial={"name": tag.name, "color": tag.color}, auto_id=f"tag-{tag.pk}-%s")


def _page(
    request: HttpRequest, *, new: TagForm | None = None, bound: TagForm | None = None, pk: int = 0
) -> HttpResponse:
    rows = [
        (tag, bound if tag.pk == pk and bound is not None else _row_form(tag))
        for tag in tags.tags_with_usage()
    ]
    for tag, _form in rows:
        tag.usage = tags.usage(tag)  # type: ignore[attr-defined]
    return render(
        request,
        "records/tag_list.html",
        {
            "rows": rows,
            "new_form": new or TagForm(auto_id="new-tag-%s"),
            "bound": bound,
            "palette": PALETTE,
            "tag_kinds": kinds.kinds_with("tags"),
            "section": "settings",
            "may_edit": access.has_any(signed_in(request), "settings", "edit"),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
def tag_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    return _page(request)


@login_required
@require_POST
def tag_create(request: HttpRequest) -> HttpResponse:
    _require(request, "edit")
    form = TagForm(request.POST, auto_id="new-tag-%s")
    if form.is_valid():
        try:
            tag = tags.tag_save(actor=signed_in(request), tag=None, **form.cleaned_data)
            messages.success(request, _("Tag “%(name)s” created.") % {"name": tag.name})
            return redirect("records:tag-list")
        except DomainError as error:
            apply_domain_error(form, error)
    return _page(request, new=form)


@login_required
@require_POST
def tag_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    tag = get_object_or_404(Tag, pk=pk)
    form = _row_form(tag, request.POST)
    if form.is_valid():
        try:
            saved = tags.tag_save(actor=signed_in(request), tag=tag, **form.cleaned_data)
            messages.success(request, _("Tag “%(name)s” saved.") % {"name": saved.name})
            return redirect("records:tag-list")
        except DomainError as error:
            apply_domain_error(form, error)
    return _page(request, bound=form, pk=tag.pk)


@login_required
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    tag = get_object_or_404(Tag, pk=pk)
    problem = ""
    if request.method == "POST":
        try:
            tags.tag_delete(actor=signed_in(request), tag=tag)
            messages.success(request, _("Tag “%(name)s” deleted.") % {"name": tag.name})
            return redirect("records:tag-list")
        except DomainError as error:
            problem = error.message
    usage = tags.tags_with_usage().get(pk=tag.pk)
    return render(
        request,
        "records/tag_delete.html",
        {
            "tag": usage,
            "usage": tags.usage(usage),
            "rules": GroupRule.objects.filter(tag=tag).order_by("entity", "position"),
            "problem": problem,
            "section": "settings",
        },
        status=422 if problem else 200,
    )
