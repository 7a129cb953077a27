"""Task pages: the list with its tabs, the card (an edit form with the checklist and comments),
the new-task page, and the one-click tick with its undo.

A tick is a POST form, so it works without scripts (the answer is the page again with a toast
"… · Undo"); tasks.js sends it with fetch instead, ticks the row at once, and shows the toast the
server answers with, or puts the row back when the server refuses.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.base import Message
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from kartoteka.accounts.models import User
from kartoteka.activities import queries, task_rows
from kartoteka.activities.models import Task
from kartoteka.activities.services import tasks as task_services
from kartoteka.activities.task_forms import CommentForm, TaskForm
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access
from kartoteka.core.errors import DomainError, NotFoundError
from kartoteka.core.ids import parse_id
from kartoteka.core.web import apply_domain_error, signed_in
from kartoteka.records.services import undo
from kartoteka.records.views import undo as undo_views

TAB_LABELS = {
    "mine": gettext_lazy("Mine"),  # the assignee's open tasks: "Open" when that is someone else
    "delegated": gettext_lazy("Set by me"),
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Today"),
    "upcoming": gettext_lazy("Upcoming"),
    "done": pgettext_lazy("task list", "Done"),
}


def _card_or_404(request: HttpRequest, pk: int) -> Task:
    try:
        return queries.task_card(signed_in(request), pk)
    except NotFoundError:
        raise Http404 from None


def _task_or_404(request: HttpRequest, pk: int) -> Task:
    try:
        task: Task = queries.one(queries.tasks(signed_in(request)), pk)
    except NotFoundError:
        raise Http404 from None
    return task


#: each client link of a task, its model, and the columns its name (``__str__``) is made of
CLIENT_NAMES = (
    ("company", Company, ("name",)),
    ("contact", Contact, ("last_name", "first_name", "middle_name")),
)


def mark_clients(user: User, rows: list[Task]) -> None:
    """Set ``shown_company``/``shown_contact`` on each task: its client if ``user`` may see it.

    A task one set for a colleague may name a client of theirs one cannot see: its name must not
    show. Two queries for the whole list, which bring the clients' names too: the rows need not
    join their clients.
    """
    for name, model, columns in CLIENT_NAMES:
        ids = {getattr(row, f"{name}_id") for row in rows} - {None}
        seen = access.scoped(model.objects.filter(pk__in=ids), user).only(*columns) if ids else []
        shown = {client.pk: client for client in seen}
        for row in rows:
            setattr(row, f"shown_{name}", shown.get(getattr(row, f"{name}_id")))


def _back(request: HttpRequest, default: str) -> str:
    target = str(request.POST.get("next") or request.GET.get("next") or "")
    allowed = url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


@require_safe
@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if not access.has_any(user, "tasks", "view"):
        raise Http404
    tab = request.GET.get("tab", "mine")
    tab = tab if tab in queries.TABS else "mine"
    others = queries.sees_others_tasks(user)
    people = list(queries.task_people(user)) if others else []
    raw = request.GET.get("assignee", "")
    assignee: int | None = user.pk
    if others and raw == "all":
        assignee = None
    elif others and parse_id(raw) in {person.pk for person in people}:
        assignee = parse_id(raw)
    today = timezone.localdate()
    rows = list(
        queries.task_list(user, tab=tab, today=today, assignee=assignee)[: queries.SHOWN + 1]
    )
    more = len(rows) > queries.SHOWN
    rows = rows[: queries.SHOWN]
    mark_clients(user, rows)
    show_assignee = others or tab == "delegated"
    page = task_rows.Page(
        today=today,
        done_tab=tab == "done",
        show_assignee=show_assignee,
        next_url=request.get_full_path(),
        csrf_input=csrf_input(request),
    )
    return render(
        request,
        "activities/task_list.html",
        {
            "section": "tasks",
            "rows": task_rows.rows(rows, page),
            "more": more,
            "tab": tab,
            "tabs": [
                (
                    key,
                    pgettext("task list", "Open")
                    if key == "mine" and assignee != user.pk
                    else label,
                )
                for key, label in TAB_LABELS.items()
            ],
            "people": people,
            "assignee": "all" if assignee is None else assignee,
            "today": today,
            "may_create": access.has_any(user, "tasks", "create"),
            "show_assignee": show_assignee,
        },
    )


def _form_page(
    request: HttpRequest, form: TaskForm, task: Task | None, status: int, **extra: Any
) -> HttpResponse:
    user = signed_in(request)
    context: dict[str, Any] = {"section": "tasks", "form": form, "object": task, **extra}
    if task is not None:
        mark_clients(user, [task])
        context["comment_form"] = extra.get("comment_form") or CommentForm()
        context["may_edit"] = access.can(user, "edit", task)
        context["may_delete"] = access.can(user, "delete", task)
    template = "activities/task_detail.html" if task is not None else "activities/task_form.html"
    return render(request, template, context, status=status)


def _save(request: HttpRequest, form: TaskForm, task: Task | None) -> HttpResponse | None:
    """Save a valid form; None when the service refused (its errors are then on the form)."""
    actor = signed_in(request)
    try:
        if task is None:
            saved = task_services.task_create(actor=actor, values=form.service_values())
            messages.success(request, _("Task set."))
        else:
            saved = task_services.task_update(
                actor=actor,
                task=task,
                version=form.cleaned_data.get("version") or 0,
                values=form.service_values(),
            )
            messages.success(request, _("Changes saved."))
    except DomainError as error:
        if "owner" in error.fields:
            error.fields["assignee"] = error.fields.pop("owner")
        if "recurrence" in error.fields:
            target = "rule" if form.cleaned_data.get("repeat") == "custom" else "repeat"
            error.fields[target] = error.fields.pop("recurrence")
        conflict = apply_domain_error(form, error)
        form.conflict = conflict  # type: ignore[attr-defined]
        return None
    if not access.can(actor, "view", saved):  # pragma: no cover - the author always sees it
        return redirect("activities:task-list")
    return redirect("activities:task-detail", pk=saved.pk)


@login_required
def task_create(request: HttpRequest) -> HttpResponse:
    actor = signed_in(request)
    if not access.has_any(actor, "tasks", "create"):
        raise Http404
    if request.method == "POST":
        form = TaskForm(request.POST, actor=actor)
        if form.is_valid():
            done = _save(request, form, None)
            if done is not None:
                return done
        return _form_page(request, form, None, 422, conflict=getattr(form, "conflict", None))
    initial: dict[str, Any] = {"assignee": actor.pk, "due_date": timezone.localdate()}
    for name in ("company", "contact"):
        pk = parse_id(request.GET.get(name, ""))
        if pk is not None:
            initial[name] = pk  # the picker shows it only if the user may see it
    return _form_page(request, TaskForm(initial=initial, actor=actor), None, 200)


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _card_or_404(request, pk)
    actor = signed_in(request)
    if request.method == "POST":
        if not access.can(actor, "edit", task):
            raise Http404
        form = TaskForm(request.POST, actor=actor, task=task)
        if form.is_valid():
            done = _save(request, form, task)
            if done is not None:
                return done
        conflict = getattr(form, "conflict", None)
        if conflict:
            fresh = request.POST.copy()
            fresh["version"] = str(conflict["version"])
            form = TaskForm(fresh, actor=actor, task=task)
            form.is_valid()
        return _form_page(request, form, task, 409 if conflict else 422, conflict=conflict)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return _form_page(request, TaskForm(actor=actor, task=task), task, 200)


def _toast(request: HttpRequest, text: str, token: str, back: str) -> str:
    message = Message(messages.SUCCESS, text, extra_tags=f"undo:{token}")
    return render_to_string(
        "activities/_undo_toast.html", {"message": message, "back": back}, request=request
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-click tick; with ``Accept: application/json`` the answer is the toast to show."""
    task = _task_or_404(request, pk)
    actor = signed_in(request)
    back = _back(request, reverse("activities:task-list"))
    try:
        done = task_services.task_complete(actor=actor, task=task)
    except NotFoundError:
        raise Http404 from None
    except DomainError as error:
        if _wants_json(request):
            return JsonResponse({"error": error.message}, status=error.status)
        messages.error(request, error.message)
        return redirect(back)
    text = _("“%(name)s” is done.") % {"name": done}
    ticket = task_services.for_done(done)
    if _wants_json(request):
        token = undo_views.ticket(request, ticket, back=back)
        return JsonResponse({"done": True, "toast": _toast(request, text, token, back)})
    undo_views.offer(request, text, ticket, back=back)
    return redirect(back)


SNOOZE_LABELS = {
    "hour": gettext_lazy("In 1 hour"),
    "three_hours": gettext_lazy("In 3 hours"),
    "tomorrow": gettext_lazy("Tomorrow"),
    "monday": gettext_lazy("Next Monday"),
}


def mark_snoozes(rows: list[Task], now: Any) -> None:
    """Set ``snoozes`` on each task: the "Snooze" menu's (choice, label, new due as text)
    entries as of ``now``; computed from the rows alone, no queries. Rows mostly share their
    choices (every task without a time has the same two), so each distinct one is worded once."""
    worded: dict[tuple[str, Any, Any], tuple[str, str, str]] = {}
    for row in rows:
        entries = []
        for key, (due_date, due_at) in task_services.snooze_choices(row, now).items():
            entry = worded.get((key, due_date, due_at))
            if entry is None:
                if due_at is None:
                    hint = date_format(due_date, "D, d.m")
                elif key in ("hour", "three_hours"):
                    hint = date_format(timezone.localtime(due_at), "H:i")
                else:
                    hint = date_format(timezone.localtime(due_at), "D, d.m H:i")
                entry = worded[key, due_date, due_at] = (key, str(SNOOZE_LABELS[key]), hint)
            entries.append(entry)
        row.snoozes = entries  # type: ignore[attr-defined]


@login_required
@require_POST
def task_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Snooze" on My day: move the due date (and the reminder) to a chosen later moment; with
    ``Accept: application/json`` the answer is the toast with "Undo" to show."""
    task = _task_or_404(request, pk)
    actor = signed_in(request)
    back = _back(request, reverse("home"))
    try:
        moved = task_services.task_snooze(
            actor=actor,
            task=task,
            version=parse_id(request.POST.get("version", "")) or 0,
            choice=str(request.POST.get("choice", "")),
        )
    except NotFoundError:
        raise Http404 from None
    except DomainError as error:
        text = error.message
        if error.code == "conflict":
            text = _("“%(name)s” was changed meanwhile; reload the page.") % {"name": task}
        if _wants_json(request):
            return JsonResponse({"error": text}, status=error.status)
        messages.error(request, text)
        return redirect(back)
    if moved.due_at is not None:
        when = date_format(timezone.localtime(moved.due_at), "d.m H:i")
    else:
        when = date_format(moved.due_date, "d.m") if moved.due_date else ""
    text = _("“%(name)s” snoozed until %(when)s.") % {"name": moved, "when": when}
    ticket = task_services.for_snooze(task, moved)
    if _wants_json(request):
        token = undo_views.ticket(request, ticket, back=back)
        return JsonResponse({"snoozed": True, "toast": _toast(request, text, token, back)})
    undo_views.offer(request, text, ticket, back=back)
    return redirect(back)


@login_required
@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    back = _back(request, reverse("activities:task-detail", kwargs={"pk": pk}))
    try:
        task_services.task_reopen(actor=signed_in(request), task=task)
    except NotFoundError:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    if _wants_json(request):
        return JsonResponse({"done": False})
    messages.success(request, _("“%(name)s” is open again.") % {"name": task})
    return redirect(back)


def _index(raw: str) -> int:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 6 else -1


@login_required
@require_POST
def task_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an item, tick one or remove one (``op``: add, toggle, remove)."""
    task = _task_or_404(request, pk)
    card = reverse("activities:task-detail", kwargs={"pk": pk}) + "#checklist"
    try:
        task_services.checklist_change(
            actor=signed_in(request),
            task=task,
            version=parse_id(request.POST.get("version", "")) or 0,
            op=str(request.POST.get("op", "")),
            index=_index(request.POST.get("index", "")),
            text=str(request.POST.get("text", "")),
        )
    except NotFoundError:
        raise Http404 from None
    except DomainError as error:
        problems = [m for ms in error.fields.values() for m in ms] or [error.message]
        messages.error(request, " ".join(problems))
    return redirect(card)


@login_required
@require_POST
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    task = _card_or_404(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            task_services.comment_add(
                actor=signed_in(request), task=task, body=form.cleaned_data["body"]
            )
        except NotFoundError:
            raise Http404 from None
        except DomainError as error:
            for message in error.fields.get("body", [error.message]):
                form.add_error("body", message)
        else:
            return redirect(reverse("activities:task-detail", kwargs={"pk": pk}) + "#comments")
    return _form_page(
        request, TaskForm(actor=signed_in(request), task=task), task, 422, comment_form=form
    )


@login_required
@require_POST
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    try:
        task_services.task_trash(actor=signed_in(request), task=task)
    except NotFoundError:
        raise Http404 from None
    task.refresh_from_db()
    undo_views.offer(
        request,
        _("“%(name)s” moved to the trash.") % {"name": task},
        undo.for_trash(task),
        back=reverse("activities:task-detail", kwargs={"pk": pk}),
    )
    return redirect("activities:task-list")
