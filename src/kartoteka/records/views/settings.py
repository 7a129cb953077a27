"""Settings pages of every record kind: custom fields and group rules (administrators)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.core import access, jobs, kinds
from kartoteka.core.errors import DomainError
from kartoteka.core.ids import parse_id
from kartoteka.core.web import apply_domain_error, signed_in
from kartoteka.records.models import CustomField, GroupRule, Tag
from kartoteka.records.services import custom_fields, group_rule_jobs, group_rules
from kartoteka.records.services import group_rules as rule_settings
from kartoteka.records.settings_forms import CustomFieldDeleteForm, CustomFieldForm, GroupRuleForm


def _sections_of(
    kinds_: list[kinds.RecordKind], items: list[Any]
) -> list[tuple[str, Any, list[Any]]]:
    """(entity, plural label, its items) per record kind, in the registry's order."""
    return [
        (kind.entity, kind.plural, [item for item in items if item.entity == kind.entity])
        for kind in kinds_
    ]


def _require(request: HttpRequest, action: str) -> None:
    # Custom fields, group rules and tags are company settings: settings "view" reads them,
    # settings "edit" changes them.
    if not access.has_any(signed_in(request), "settings", action):
        raise Http404


def _offset(request: HttpRequest) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


# --- Custom fields -------------------------------------------------------------------------------
@login_required
def custom_field_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    fields = list(CustomField.objects.order_by("entity", "position", "id"))
    sections = _sections_of(kinds.kinds_with("custom_fields"), fields)
    return render(
        request,
        "records/custom_field_list.html",
        {
            "sections": sections,
            "section": "settings",
            "may_edit": access.has_any(signed_in(request), "settings", "edit"),
        },
    )


@login_required
def custom_field_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, "edit")
    field = get_object_or_404(CustomField, pk=pk) if pk is not None else None
    first = next(iter(custom_fields.entities()), "")
    initial = {"entity": request.GET.get("entity", first)} if field is None else None
    form = CustomFieldForm(request.POST or None, field=field, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = custom_fields.custom_field_save(
                actor=signed_in(request), field=field, **form.service_values()
            )
            messages.success(request, _("Field “%(label)s” saved.") % {"label": saved.label})
            return redirect("records:custom-field-list")
        except DomainError as error:
            apply_domain_error(form, error)
    return render(
        request,
        "records/custom_field_form.html",
        {"form": form, "field": field, "section": "settings"},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def custom_field_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    field = get_object_or_404(CustomField, pk=pk)
    form = CustomFieldDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            affected = custom_fields.custom_field_delete(
                actor=signed_in(request), field=field, confirmed=form.cleaned_data["confirm"]
            )
            messages.success(
                request,
                _("Field “%(label)s” deleted; values removed from %(count)d records.")
                % {"label": field.label, "count": affected},
            )
            return redirect("records:custom-field-list")
        except DomainError as error:
            apply_domain_error(form, error)
    return render(
        request,
        "records/custom_field_delete.html",
        {
            "form": form,
            "field": field,
            "usage": custom_fields.custom_field_usage(field),
            "entity_label": kinds.entity_label(field.entity),
            "section": "settings",
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def custom_field_move(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    field = get_object_or_404(CustomField, pk=pk)
    custom_fields.custom_field_move(actor=signed_in(request), field=field, offset=_offset(request))
    return redirect("records:custom-field-list")


# --- Group rules ---------------------------------------------------------------------------------
@login_required
def group_rule_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    rules = list(
        GroupRule.objects.select_related("tag", "owner").order_by("entity", "position", "id")
    )
    record_kinds = kinds.record_kinds()
    labels = {kind.entity: dict(group_rules.field_choices(kind.entity)) for kind in record_kinds}
    for rule in rules:
        rule.field_label = labels.get(rule.entity, {}).get(rule.field, rule.field)  # type: ignore[attr-defined]
    sections = _sections_of(record_kinds, rules)
    return render(
        request,
        "records/group_rule_list.html",
        {
            "sections": sections,
            "section": "settings",
            "may_edit": access.has_any(signed_in(request), "settings", "edit"),
        },
    )


@login_required
def group_rule_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, "edit")
    rules = GroupRule.objects.select_related("tag", "owner")
    rule = get_object_or_404(rules, pk=pk) if pk is not None else None
    first = next(iter(kinds.record_kinds()), None)
    entity = rule.entity if rule else request.GET.get("entity", first.entity if first else "")
    kind = kinds.record_kind(entity)
    if kind is None:
        raise Http404
    form = GroupRuleForm(request.POST or None, entity=entity, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            saved = rule_settings.group_rule_save(
                actor=signed_in(request), rule=rule, values=form.service_values()
            )
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
            return redirect("records:group-rule-edit", pk=saved.pk)
        except DomainError as error:
            apply_domain_error(form, error)
    return render(
        request,
        "records/group_rule_form.html",
        {
            "form": form,
            "rule": rule,
            "entity_label": kind.plural,
            "dry_run": rule_settings.rule_dry_run(rule) if rule is not None else None,
            # The apply job this page started: its progress bar (only its starter sees it).
            "job": jobs.run_for(signed_in(request), parse_id(request.GET.get("job", ""))),
            "tag_names": Tag.objects.values_list("name", flat=True),
            "section": "settings",
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def group_rule_apply(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    job = group_rule_jobs.group_rule_apply_start(
        actor=signed_in(request), rule=get_object_or_404(GroupRule, pk=pk)
    )
    url = reverse("records:group-rule-edit", kwargs={"pk": pk})
    return redirect(f"{url}?job={job.pk}#dry-run")


@login_required
@require_POST
def group_rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    rule_settings.group_rule_move(
        actor=signed_in(request), rule=get_object_or_404(GroupRule, pk=pk), offset=_offset(request)
    )
    return redirect("records:group-rule-list")


@login_required
@require_POST
def group_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "edit")
    rule = get_object_or_404(GroupRule, pk=pk)
    rule_settings.group_rule_delete(actor=signed_in(request), rule=rule)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("records:group-rule-list")
