"""Edit one field of a card in place: click a value, type, Enter saves.

``GET`` answers the field's input (the same widget as on the edit form, a status as a select);
``POST`` checks the value with the edit form's own field and ``clean_<name>`` and then saves it
through the normal write path (the service's checks of ``core.field_rules``, the version check,
the audit trail). Answers are JSON for forms.js: the value as the card shows it and the new
version; a refused value (422) or a stale version (409, with the current version so a second
Enter saves over it) keeps what the user typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kartoteka.clients.forms import RecordForm, inline_names
from kartoteka.clients.views.records import KINDS, _one
from kartoteka.core import access
from kartoteka.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from kartoteka.core.web import signed_in


def shown(obj: Any, name: str) -> str:
    """The value of ``name`` as the card shows it."""
    if name == "status":
        return str(capfirst(obj.get_status_display()))  # as the card and the lists write it
    value = getattr(obj, name)
    if value in (None, ""):
        return "—"
    if name == "birthday":
        return str(date_filter(value, "d.m.Y"))
    return str(value)


def _clean(form: RecordForm, name: str, data: Any) -> Any:
    field = form.fields[name]
    value = field.clean(field.widget.value_from_datadict(data, {}, name))
    form.cleaned_data = {name: value}
    check = getattr(form, f"clean_{name}", None)
    return check() if check else value


@login_required
@require_http_methods(["GET", "POST"])
def inline_field(request: HttpRequest, kind: str, pk: int, name: str) -> HttpResponse:
    spec = KINDS[kind]
    actor = signed_in(request)
    obj = _one(kind, request, pk, "edit")
    form: RecordForm = spec["form"](instance=obj, actor=actor)
    if name not in inline_names(kind, actor, obj) or form.fields[name].disabled:
        raise Http404
    if request.method == "GET":
        bound = form[name]
        widget = bound.as_widget(attrs={"class": "inline-input", "aria-label": str(bound.label)})
        return HttpResponse(format_html("{}", widget))
    try:
        value = _clean(form, name, request.POST)
    except forms.ValidationError as error:
        return JsonResponse({"errors": error.messages}, status=422)
    values: dict[str, Any] = {name: value}
    if name == "owner" and value is not None:
        values["branch"] = value.branch  # the record follows its owner, as on the edit form
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return JsonResponse({"errors": [_("Reload the page and try again.")]}, status=422)
    try:
        saved = spec["update"](
            actor=actor, version=version, values=values, **{spec["object_arg"]: obj}
        )
    except (NotFoundError, ForbiddenError):
        raise Http404 from None
    except ConflictError as error:
        return JsonResponse(
            {
                "conflict": error.message,
                "errors": [_("Someone changed this record meanwhile. Press Enter to save yours.")],
                "version": error.current_version,
            },
            status=409,
        )
    except DomainError as error:
        messages = [m for ms in error.fields.values() for m in ms] or [error.message]
        return JsonResponse({"errors": messages}, status=422)
    if not access.can(actor, "view", saved):
        return JsonResponse({"version": saved.version, "text": shown(saved, name), "gone": True})
    return JsonResponse({"version": saved.version, "text": shown(saved, name)})
