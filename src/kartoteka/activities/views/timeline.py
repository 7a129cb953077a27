"""The card's timeline: the merged history, filters, "load more", logging and editing activities.

Every view answers htmx with a fragment and a plain request with a full page (the link a
browser without JavaScript follows), from the same templates.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from kartoteka.accounts.models import User
from kartoteka.activities import forms, queries, timeline, timeline_rows
from kartoteka.activities.models import Activity
from kartoteka.activities.services import activities as activity_services
from kartoteka.clients import queries as client_queries
from kartoteka.core import access
from kartoteka.core.errors import DomainError, NotFoundError
from kartoteka.core.web import apply_domain_error, signed_in
from kartoteka.records.services import undo
from kartoteka.records.views import undo as undo_views

KINDS = {"company": client_queries.company, "contact": client_queries.contact}
TYPE_LABELS = {
    **{code: label for code, label in Activity.Type.choices},
    "task": gettext_lazy("Tasks done"),
    "change": gettext_lazy("Changes"),
}


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _client(request: HttpRequest, kind: str, pk: int) -> Any:
    try:
        # The timeline names the client; its phones, emails and tags are the card's.
        return KINDS[kind](signed_in(request), pk, bare=True)
    except NotFoundError:
        raise Http404 from None


def _card_url(kind: str, pk: int) -> str:
    return reverse(f"clients:{kind}-detail", kwargs={"pk": pk}) + "?tab=timeline"


def _safe_next(request: HttpRequest, default: str) -> str:
    target = str(request.POST.get("next") or request.GET.get("next") or "")
    allowed = url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """After a write: htmx reloads the page there (the toast shows), a form post redirects."""
    if _htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _people(user: User) -> list[User]:
    """Whom the pickers offer (participants, a next step's assignee, the person filter)."""
    rows = access.scoped(User.objects.filter(is_active=True), user)
    return list(rows.order_by("last_name", "first_name", "username")[:500])


def _company_people(user: User, kind: str, client: Any) -> list[tuple[int, str]]:
    if kind != "company":
        return []
    jobs = client_queries.company_people(user, client)[:100]
    return [(job.contact_id, job.contact.full_name) for job in jobs]


def _editable(user: User, items: list[timeline.Item]) -> tuple[set[int], set[int]]:
    """Which of the page's activities ``user`` may edit and delete."""
    return queries.may_change(
        user, [item.obj for item in items if item.source == timeline.ACTIVITY]
    )


def _context(
    request: HttpRequest, kind: str, client: Any, *, form: forms.ActivityForm | None = None
) -> dict[str, Any]:
    user = signed_in(request)
    filters = timeline.Filters.read(request.GET.getlist("type"), request.GET.get("person"))
    try:
        page = timeline.page(
            user, client, filters=filters, cursor=request.GET.get("cursor", ""), planned=True
        )
    except timeline.BadCursor:
        page = timeline.page(user, client, filters=filters, planned=True)
    url = reverse(f"activities:{kind}-timeline", kwargs={"pk": client.pk})
    query = [("type", t) for t in sorted(filters.types)]
    if filters.person:
        query.append(("person", str(filters.person)))
    more = f"{url}?{urlencode([*query, ('cursor', page.next)])}" if page.next else ""
    edit, delete = _editable(user, page.items)
    card_url = _card_url(kind, client.pk)
    shared = timeline_rows.Page(kind, edit, delete, card_url, csrf_input(request))
    may_log = access.has_any(user, "activities", "create")
    logging = request.GET.get("log", "")
    if form is None and may_log and logging in forms.LOGGED:
        form = _form(request, kind, client, logging)
    return {
        "client": client,
        "kind": kind,
        "page": page,
        "timeline_url": url,
        "card_url": card_url,
        "rows": timeline_rows.rows(page.items, shared),
        "more_url": more,
        "filters": filters,
        "filtered": bool(filters.types or filters.person),
        "type_choices": [(code, TYPE_LABELS[code]) for code in timeline.TYPES],
        "people": _people(user),
        "may_log": may_log,
        "log_buttons": [
            (
                code,
                forms.LOG_LABELS[code],
                reverse(f"activities:{kind}-log", kwargs={"pk": client.pk, "type": code}),
            )
            for code in forms.LOGGED
        ],
        "form": form,
        "form_url": reverse(f"activities:{kind}-log", kwargs={"pk": client.pk, "type": form.kind})
        if form is not None
        else "",
        "form_label": forms.LOG_LABELS.get(form.kind, "") if form is not None else "",
        "today": timezone.localdate(),
    }


def _form(
    request: HttpRequest,
    kind: str,
    client: Any,
    activity_type: str,
    data: Any = None,
    instance: Activity | None = None,
) -> forms.ActivityForm:
    user = signed_in(request)
    return forms.ActivityForm(
        data,
        kind=activity_type,
        actor=user,
        people=_company_people(user, kind, client) if instance is None else [],
        users=_people(user),
        instance=instance,
    )


@require_safe
@login_required
def client_timeline(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The timeline of a company or contact: a fragment for the card's tab (htmx), the next
    page of items ("load more", with ``cursor``), or a page of its own."""
    client = _client(request, kind, pk)
    context = _context(request, kind, client)
    if _htmx(request) and request.GET.get("cursor"):
        template = "activities/_timeline_items.html"
    elif _htmx(request):
        template = "activities/_timeline.html"
    else:
        template = "activities/timeline_page.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _form_answer(
    request: HttpRequest, context: dict[str, Any], fragment: str, page: str, status: int
) -> HttpResponse:
    response = render(request, fragment if _htmx(request) else page, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def log_activity(request: HttpRequest, kind: str, pk: int, type: str) -> HttpResponse:  # noqa: A002
    """The inline form to log a call, meeting, inquiry or note about the client, and its save."""
    client = _client(request, kind, pk)
    user = signed_in(request)
    if type not in forms.LOGGED or not access.has_any(user, "activities", "create"):
        raise Http404
    data = request.POST if request.method == "POST" else None
    form = _form(request, kind, client, type, data)
    back = _safe_next(request, _card_url(kind, client.pk))
    if data is not None and form.is_valid():
        try:
            activity, task = activity_services.activity_log(
                actor=user,
                values=form.activity_values(kind, client),
                next_step=form.next_step(),
            )
            text = _("%(what)s logged.") % {"what": forms.type_label(activity.type)}
            if task is not None:
                text = _("%(what)s logged; next step: %(task)s.") % {
                    "what": forms.type_label(activity.type),
                    "task": task.title,
                }
            messages.success(request, text)
            return _go(request, back)
        except DomainError as error:
            for name in list(error.fields):
                if name in forms.FORM_NAMES:
                    error.fields.setdefault(forms.FORM_NAMES[name], []).extend(
                        error.fields.pop(name)
                    )
            apply_domain_error(form, error)
    context = {
        **_context(request, kind, client, form=form),
        "next": back,
        "form": form,
        "form_type": type,
        "form_label": forms.LOG_LABELS[type],
        "form_url": request.path,
    }
    status = 422 if data is not None else 200
    return _form_answer(
        request, context, "activities/_log_form.html", "activities/log_page.html", status
    )


def _activity(request: HttpRequest, pk: int, action: str) -> Activity:
    try:
        found: Activity = queries.one(queries.activities(signed_in(request), action), pk)
    except NotFoundError:
        raise Http404 from None
    return found


def _client_of(activity: Activity) -> tuple[str, Any]:
    if activity.contact is not None and activity.company is None:
        return "contact", activity.contact
    return "company", activity.company


@login_required
def edit_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an activity (its author, within the role's scope): in place on the timeline."""
    activity = _activity(request, pk, "edit")
    kind, client = _client_of(activity)
    back = _safe_next(request, _card_url(kind, client.pk))
    data = request.POST if request.method == "POST" else None
    form = _form(request, kind, client, activity.type, data, instance=activity)
    conflict = None
    if data is not None and form.is_valid():
        try:
            activity_services.activity_update(
                actor=signed_in(request),
                activity=activity,
                version=int(request.POST.get("version") or 0),
                values=form.activity_values(kind, client),
            )
            messages.success(request, _("Changes saved."))
            return _go(request, back)
        except DomainError as error:
            conflict = apply_domain_error(form, error)
    context = {
        "activity": activity,
        "client": client,
        "kind": kind,
        "form": form,
        "form_url": request.path,
        "form_label": forms.type_label(activity.type),
        "next": back,
        "conflict": conflict,
        "version": conflict["version"] if conflict else activity.version,
    }
    status = 409 if conflict else (422 if data is not None else 200)
    return _form_answer(
        request, context, "activities/_edit_form.html", "activities/edit_page.html", status
    )


@login_required
@require_POST
def delete_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an activity to the trash; the toast offers "Undo"."""
    activity = _activity(request, pk, "delete")
    kind, client = _client_of(activity)
    back = _safe_next(request, _card_url(kind, client.pk))
    try:
        activity_services.activity_trash(actor=signed_in(request), activity=activity)
    except NotFoundError:
        raise Http404 from None
    undo_views.offer(
        request,
        _("“%(name)s” moved to the trash.") % {"name": activity},
        undo.for_trash(activity),
        back=back,
    )
    return HttpResponseRedirect(back)
