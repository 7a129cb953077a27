"""The bulk bar of a record kind's list: pick rows (or the whole filter), then act.

Works as a plain form POST; kartoteka.js only shows the bar when something is picked. "All N
records matching the filter" is recomputed here from the list's query string and the user's
scope: ids a browser sends are only ever a wish, which the services scope again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kartoteka.accounts.models import User
from kartoteka.core import access, kinds
from kartoteka.core.batches import Counts
from kartoteka.core.errors import DomainError
from kartoteka.core.ids import parse_id
from kartoteka.core.models import Batch, Record
from kartoteka.core.pagination import COUNT_LIMIT, KeysetPage, counted
from kartoteka.core.web import apply_domain_error, options_html, signed_in
from kartoteka.records import queries
from kartoteka.records.models import CustomField
from kartoteka.records.models.custom_fields import FieldType
from kartoteka.records.services import bulk
from kartoteka.records.views import batches as batch_views


def _kind(code: str) -> kinds.RecordKind:
    found = kinds.by_code(code)
    if found is None:
        raise Http404
    return found


# Paging and view choice say which rows are shown, not which records match.
NOT_FILTERS = ("after", "before", "from", "sort", "view", "density")


def list_query(params: QueryDict) -> str:
    """The list's filters as a query string, paging aside: what "all matching" recomputes."""
    return urlencode([(k, str(v)) for k, v in params.items() if k not in NOT_FILTERS and v])


def value_choices(
    model: type[Record], custom_fields: Iterable[CustomField] | None = None
) -> dict[str, list[str]]:
    """Suggested values for fields with a fixed set of them (shown as the field is chosen)."""
    if custom_fields is None:
        custom_fields = (
            CustomField.objects.filter(entity=access.entity_of(model))
            if kinds.kind_of(model).custom_fields
            else []
        )
    suggestions: dict[str, list[str]] = {}
    for name in bulk.settable(model):
        field = model._meta.get_field(name)
        if getattr(field, "choices", None):
            suggestions[name] = [str(label) for _value, label in field.choices]  # type: ignore[union-attr]
    for custom in custom_fields:
        if custom.type in (FieldType.CHOICE, FieldType.MULTIPLE):
            suggestions[bulk.CUSTOM_PREFIX + custom.code] = list(custom.choices)
        elif custom.type == FieldType.BOOLEAN:
            suggestions[bulk.CUSTOM_PREFIX + custom.code] = [str(_("yes")), str(_("no"))]
    return suggestions


def _matching_count(request: HttpRequest, kind: str) -> int:
    """How many records the list's filter matches, counted up to COUNT_LIMIT + 1."""
    text = request.GET.get("q", "")
    matching = queries.listing(_kind(kind), signed_in(request), text=text, params=request.GET)
    return counted(matching)


@login_required
@require_GET
def record_bulk_count(request: HttpRequest, kind: str) -> HttpResponse:
    """The bulk bar's "all N records matching the filter", asked for when the user picks it."""
    if not access.has_any(signed_in(request), _kind(kind).entity, "view"):
        raise Http404
    total = _matching_count(request, kind)
    return render(request, "records/_bulk_total.html", {"total": total, "count_limit": COUNT_LIMIT})


def list_context(
    request: HttpRequest,
    kind: str,
    page: KeysetPage[Any],
    *,
    owners: Any,
    tags: Any,
    custom_fields: list[CustomField],
) -> dict[str, Any]:
    """What the list page's bulk bar needs, beside what the page already read (owners, tags,
    the entity's custom fields); a bounded number of queries whatever the list."""
    record_kind = _kind(kind)
    user = signed_in(request)
    model, entity = record_kind.model, record_kind.entity
    may = {action: access.has_any(user, entity, action) for action in ("assign", "edit", "delete")}
    if not any(may.values()):
        return {"bulk": None, "done_batch": batch_views.pop_done(request)}
    single_page = page.next_after is None and not page.previous
    query = list_query(request.GET)
    return {
        "bulk": {
            "url": reverse(f"records:{kind}-bulk"),
            "may_assign": may["assign"],
            "may_edit": may["edit"],
            "may_delete": may["delete"],
            # A list that fits on its page counts itself. Counting a longer one costs more than
            # the page: the bar asks for the number when "all matching" is picked, and the
            # preview step gives the exact number before anything changes.
            "total": len(page.rows) if single_page else None,
            "count_url": "" if single_page else f"{reverse(f'records:{kind}-bulk-count')}?{query}",
            "count_limit": COUNT_LIMIT,
            "query": query,
            "owner_options": (
                options_html((person.pk, person) for person in owners) if may["assign"] else ""
            ),
            # The rows on this page, which "selected rows" falls back to when none are ticked.
            "page_ids": ",".join(str(row.pk) for row in page.rows),
            "fields": bulk.settable_fields(model, custom_fields) if may["edit"] else [],
            "suggestions": value_choices(model, custom_fields) if may["edit"] else {},
            "tags": tags if may["edit"] else [],
        },
        "done_batch": batch_views.pop_done(request),
    }


ACTION_CHOICES = [
    ("reassign", gettext_lazy("Reassign")),
    ("preview", gettext_lazy("Change a field")),
    ("set_field", gettext_lazy("Change a field")),
    ("tag", gettext_lazy("Add a tag")),
    ("untag", gettext_lazy("Remove a tag")),
    ("trash", gettext_lazy("Move to the trash")),
]


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=ACTION_CHOICES, label=gettext_lazy("Action"))
    scope = forms.ChoiceField(
        choices=[
            ("selected", gettext_lazy("Selected rows")),
            ("filter", gettext_lazy("All records matching the filter")),
        ],
        initial="selected",
        required=False,
        widget=forms.HiddenInput,
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput)
    to_owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=gettext_lazy("New owner")
    )
    field = forms.ChoiceField(choices=[], required=False, label=gettext_lazy("Field"))
    value = forms.CharField(required=False, label=gettext_lazy("New value"), max_length=1000)
    tag = forms.CharField(required=False, label=gettext_lazy("Tag"), max_length=60)

    def __init__(self, *args: Any, actor: User, model: type[Record], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_owner"].queryset = access.scoped(  # type: ignore[attr-defined]
            User.objects.filter(is_active=True), actor
        ).order_by("last_name", "first_name")
        self.fields["field"].choices = [("", "—"), *bulk.settable_fields(model)]  # type: ignore[attr-defined]

    def ids(self) -> list[int]:
        """Ticked rows; "all on this page" takes the page's ids (JS ticks them too)."""
        data = cast(QueryDict, self.data)
        raw = data.getlist("ids")
        if data.get("all_on_page"):
            raw = [*raw, *str(data.get("page_ids", "")).split(",")]
        return sorted({pk for pk in map(parse_id, raw) if pk is not None})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action")
        if action == "reassign" and not cleaned.get("to_owner"):
            self.add_error("to_owner", _("Choose the new owner."))
        if action in ("preview", "set_field") and not cleaned.get("field"):
            self.add_error("field", _("Choose a field."))
        if action in ("tag", "untag") and not str(cleaned.get("tag") or "").strip():
            self.add_error("tag", _("Name the tag."))
        if cleaned.get("scope") != "filter" and not self.ids():
            self.add_error(None, _("Select at least one record."))
        return cleaned


def _target(request: HttpRequest, kind: str, form: BulkForm) -> Any:
    if form.cleaned_data.get("scope") == "filter":
        params = QueryDict(form.cleaned_data.get("query") or "")
        return queries.listing(
            _kind(kind), signed_in(request), text=params.get("q", ""), params=params
        )
    return form.ids()


def _params(form: BulkForm) -> dict[str, Any]:
    data = form.cleaned_data
    owner = data.get("to_owner")
    return {
        "to_owners": [owner.pk] if owner else [],
        "field": data.get("field"),
        "value": data.get("value"),
        "tag": data.get("tag"),
    }


def _list_url(kind: str, query: str) -> str:
    return reverse(_kind(kind).list_url) + (f"?{query}" if query else "")


@login_required
@require_POST
def record_bulk(request: HttpRequest, kind: str) -> HttpResponse:
    """Run the bulk bar's action, or (for "change a field") show what it would change."""
    record_kind, actor = _kind(kind), signed_in(request)
    if not access.has_any(actor, record_kind.entity, "view"):
        raise Http404
    form = BulkForm(request.POST, actor=actor, model=record_kind.model)
    counts: Counts | None = None
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            result = bulk.bulk_apply(
                actor=actor,
                model=record_kind.model,
                target=_target(request, kind, form),
                action="set_field" if action == "preview" else action,
                params=_params(form),
                preview=action == "preview",
            )
            if isinstance(result, Batch):
                batch_views.remember_done(request, result)
                return redirect(_list_url(kind, form.cleaned_data.get("query") or ""))
            counts = result
        except DomainError as error:
            error.fields = {
                ("to_owner" if name == "to_owners" else name): messages
                for name, messages in error.fields.items()
            }
            apply_domain_error(form, error)
    return render(
        request,
        "records/bulk_form.html",
        {
            "form": form,
            "kind": kind,
            "record_kind": record_kind,
            "counts": counts,
            "section": record_kind.entity,
            "ids": form.ids(),
            "list_url": _list_url(kind, str(request.POST.get("query", ""))),
            "suggestions": value_choices(record_kind.model),
        },
        status=200 if counts is not None else 422,
    )
