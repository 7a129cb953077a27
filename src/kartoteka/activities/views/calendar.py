"""The calendar: day, week and month views (EventCalendar in the browser), its JSON feed of
events, dragging and resizing, quick create, a meeting's card and form, .ics import and the
iCalendar subscription."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kartoteka.accounts.models import User
from kartoteka.activities import ical, queries
from kartoteka.activities.calendar_forms import EventForm, IcsUploadForm
from kartoteka.activities.models import CalendarEvent, CalendarFeed, EventParticipant
from kartoteka.activities.services import events as event_services
from kartoteka.activities.services import feeds
from kartoteka.activities.services.ical_import import IcalImportError, ical_import
from kartoteka.core import access
from kartoteka.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from kartoteka.core.web import apply_domain_error, signed_in
from kartoteka.records.services import undo
from kartoteka.records.views import undo as undo_views

#: the longest range the JSON feed answers (a month view asks for six weeks)
MAX_RANGE = timedelta(days=62)
VIEWS = {
    "day": "resourceTimeGridDay",
    "week": "timeGridWeek",
    "month": "dayGridMonth",
    "list": "listWeek",
}
#: what the subscription feed carries around today
FEED_PAST = timedelta(days=183)
FEED_AHEAD = timedelta(days=550)


def _fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _circle(request: HttpRequest, user: User) -> str:
    circles = queries.calendar_circles(user)
    wanted = request.GET.get("who", "")
    return wanted if wanted in circles else "me"


def _one(user: User, pk: int, action: str = "view") -> CalendarEvent:
    try:
        return queries.one(queries.events(user, action), pk)  # type: ignore[no-any-return]
    except NotFoundError:
        raise Http404 from None


def _people(user: User) -> Any:
    """Whom one may invite: the people of the widest calendar one may open."""
    return queries.invitable_people(user)


def _offset() -> str:
    """The site's current UTC offset as EventCalendar takes it ("+03:00"): its now-line."""
    offset = timezone.localtime().strftime("%z")
    return f"{offset[:3]}:{offset[3:]}"


def _wall(moment: datetime) -> str:
    """A moment as the site's wall-clock time, as the calendar shows and sends it back."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")


def _parse_wall(raw: str) -> datetime | None:
    parsed = parse_datetime(raw.strip()) if raw else None
    if parsed is None and raw:
        day = parse_date(raw.strip()[:10])
        parsed = datetime.combine(day, datetime.min.time()) if day else None
    if parsed is None:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _names(people: dict[int, User], ids: list[int]) -> list[str]:
    return [str(people[pk]) for pk in ids if pk in people]


@require_safe
@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    circles = queries.calendar_circles(user)
    if not circles:
        raise PermissionDenied
    circle = _circle(request, user)
    people = list(queries.calendar_people(user, circle))
    view = request.GET.get("view", "week")
    config = {
        "eventsUrl": reverse("activities:calendar-events"),
        "createUrl": reverse("activities:event-create"),
        "moveUrl": reverse("activities:event-move", args=[0]),
        "detailUrl": reverse("activities:event-detail", args=[0]),
        "who": circle,
        "view": VIEWS.get(view, VIEWS["week"]),
        "date": request.GET.get("date", "")[:10],
        "timeZone": _offset(),
        "locale": request.LANGUAGE_CODE,
        "resources": [{"id": str(p.pk), "title": str(p)} for p in people],
        "me": str(user.pk),
        "mayCreate": access.has_any(user, "events", "create"),
    }
    feed = queries.active_feed(user)
    return render(
        request,
        "activities/calendar.html",
        {
            "section": "calendar",
            "config": config,
            "circles": circles,
            "circle": circle,
            "view": view if view in VIEWS else "week",
            "feed_url": _feed_url(request, feed),
        },
    )


def feed_url_of(request: HttpRequest, key: str | None) -> str | None:
    """The subscription address for ``key``, or None when the user has none (the API's
    ``calendar_feed_url``)."""
    if not key:
        return None
    return request.build_absolute_uri(
        reverse("activities:calendar-ical", args=[CalendarFeed.token_for(key)])
    )


def _feed_url(request: HttpRequest, feed: Any) -> str:
    if feed is None:
        return ""
    return request.build_absolute_uri(reverse("activities:calendar-ical", args=[feed.token]))


@require_safe
@login_required
def calendar_events(request: HttpRequest) -> JsonResponse:
    """The events of [start, end) for EventCalendar, scoped by the access rule."""
    user = signed_in(request)
    start = _parse_wall(request.GET.get("start", ""))
    end = _parse_wall(request.GET.get("end", ""))
    if start is None or end is None or end <= start or end - start > MAX_RANGE:
        return JsonResponse({"error": {"code": "invalid", "message": _("Bad range.")}}, status=400)
    people = {p.pk: p for p in queries.calendar_people(user, _circle(request, user))}
    found = queries.calendar_events(user, start, end, list(people))
    result = []
    for event in found:
        everyone: list[int] = event.participant_ids  # type: ignore[attr-defined]
        clash: list[int] = event.clash_with  # type: ignore[attr-defined]
        item: dict[str, Any] = {
            "id": str(event.pk),
            "title": event.title,
            "allDay": event.all_day,
            "resourceIds": [str(pk) for pk in everyone if pk in people],
            "editable": event.may_edit,  # type: ignore[attr-defined]
            "classNames": ["kt-event", *(["kt-clash"] if clash else [])],
            "extendedProps": {
                "version": event.version,
                "location": event.location,
                "client": str(
                    event.company_shown or event.contact_shown or ""  # type: ignore[attr-defined]
                ),
                "organiser": str(event.owner) if event.owner else "",
                "participants": _names(people, everyone),
                "clash": _names(people, clash) or ([_("a participant")] if clash else []),
            },
        }
        if event.all_day:
            item["start"] = _wall(event.starts_at)[:10]
            item["end"] = _wall(event.ends_at)[:10]
        else:
            item["start"] = _wall(event.starts_at)
            item["end"] = _wall(event.ends_at)
        result.append(item)
    return JsonResponse(result, safe=False)


@require_POST
@login_required
def event_move(request: HttpRequest, pk: int) -> JsonResponse:
    """A drag or a resize: the new start and end, checked against the version the page had.
    In the day view a drop onto another person's column (``fromResource`` → ``toResource``, user
    ids) also hands the meeting from the one to the other (the service checks who may)."""
    user = signed_in(request)
    event = _one(user, pk)
    try:
        body = json.loads(request.body or b"{}")
        version = int(body["version"])
        starts, ends = _parse_wall(str(body["start"])), _parse_wall(str(body.get("end") or ""))
        source, target = (
            int(body[name]) if body.get(name) not in (None, "") else None
            for name in ("fromResource", "toResource")
        )
    except (ValueError, KeyError, TypeError):
        return _json_error("invalid", _("Reload the page and try again."), 400)
    if starts is None:
        return _json_error("invalid", _("Reload the page and try again."), 400)
    all_day = bool(body.get("allDay", event.all_day))
    if ends is None:  # dropped into or out of the all-day row: one day, or one hour
        ends = starts + (timedelta(days=1) if all_day else timedelta(hours=1))
    before: dict[str, Any] = {
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "all_day": event.all_day,
    }
    handed = source is not None and target is not None and source != target
    if handed:
        before["participants"] = list(
            EventParticipant.objects.filter(event=event).values_list("user_id", flat=True)
        )
        before["owner"] = event.owner_id  # type: ignore[attr-defined]
    try:
        saved = event_services.event_move(
            actor=user,
            event=event,
            version=version,
            values={"starts_at": starts, "ends_at": ends, "all_day": all_day},
            from_person=source,
            to_person=target,
        )
    except (NotFoundError, ForbiddenError):
        raise Http404 from None
    except ConflictError as error:
        return JsonResponse(
            {
                "error": {
                    "code": error.code,
                    "message": _(
                        "“%(name)s” was changed by someone else meanwhile; it is back where it "
                        "was. Try again."
                    )
                    % {"name": event},
                },
                "version": error.current_version,
            },
            status=409,
        )
    except DomainError as error:
        text = "; ".join(m for ms in error.fields.values() for m in ms) or error.message
        return _json_error(error.code, text, 422)
    said = _("“%(name)s” moved.") % {"name": saved}
    if handed and target is not None:
        newcomer = User.objects.filter(pk=target).first()
        said = _("“%(name)s” moved to %(person)s.") % {"name": saved, "person": newcomer}
    undo_views.offer(
        request,
        said,
        event_services.for_move(saved, before),
        reverse("activities:calendar"),
    )
    toast = list(messages.get_messages(request))[-1]
    token = toast.extra_tags.partition("undo:")[2]
    double_booked = (
        User.objects.filter(event_participations__event=saved)
        .filter(event_participations__event__in=event_services.clashes(saved))
        .distinct()
    )
    return JsonResponse(
        {
            "version": saved.version,
            "message": str(toast.message),
            "undoUrl": reverse("records:undo", args=[token]) if token else "",
            "clash": sorted(str(person) for person in double_booked),
        }
    )


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _event_form_page(
    request: HttpRequest, form: EventForm, event: CalendarEvent | None, quick: bool, status: int
) -> HttpResponse:
    template = "activities/_event_quick_form.html" if quick else "activities/event_form.html"
    return render(
        request,
        template,
        {"form": form, "object": event, "quick": quick, "section": "calendar"},
        status=status,
    )


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    """A new meeting: the full page, or (``?quick=1``) the popover of a clicked slot."""
    user = signed_in(request)
    if not access.has_any(user, "events", "create"):
        raise PermissionDenied
    quick = request.GET.get("quick") == "1"
    people = _people(user)
    if request.method != "POST":
        starts = _parse_wall(request.GET.get("start", "")) or timezone.now().replace(
            minute=0, second=0, microsecond=0
        ) + timedelta(hours=1)
        ends = _parse_wall(request.GET.get("end", "")) or starts + timedelta(hours=1)
        all_day = request.GET.get("all_day") == "1"
        if all_day:
            ends = max(ends - timedelta(days=1), starts)
        chosen = [user.pk]
        if request.GET.get("resource", "").isdigit():
            chosen.append(int(request.GET["resource"]))
        form = EventForm(
            user=user,
            people=people,
            quick=quick,
            initial={
                "starts_at": timezone.localtime(starts),
                "ends_at": timezone.localtime(ends),
                "all_day": all_day,
                "participants": chosen,
            },
        )
        return _event_form_page(request, form, None, quick, 200)
    form = EventForm(request.POST, user=user, people=people, quick=quick)
    if form.is_valid():
        try:
            event = event_services.event_create(actor=user, values=form.values())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            said = _("“%(name)s” planned.") % {"name": event}
            if _fetch(request):  # the page shows it at once: not kept for the next page
                return JsonResponse({"id": event.pk, "message": said})
            messages.success(request, said)
            return redirect(_calendar_at(event))
    return _event_form_page(request, form, None, quick, 422)


def _calendar_at(event: CalendarEvent) -> str:
    day = timezone.localtime(event.starts_at).date().isoformat()
    return f"{reverse('activities:calendar')}?date={day}"


@require_safe
@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting's card: the page, or (``?quick=1``) the popover of a clicked event."""
    user = signed_in(request)
    event = _one(user, pk)
    participants = list(
        User.objects.filter(event_participations__event=event).order_by("last_name", "first_name")
    )
    clashes = (
        event_services.clashes(event)
        .filter(pk__in=queries.events(user).values("pk"))
        .select_related("owner")[:5]
    )
    queries.visible_clients(user, [event])
    quick = request.GET.get("quick") == "1"
    template = "activities/_event_card.html" if quick else "activities/event_detail.html"
    return render(
        request,
        template,
        {
            "object": event,
            "participants": participants,
            "clashes": list(clashes) if not event.all_day else [],
            "may_edit": access.can(user, "edit", event),
            "may_delete": access.can(user, "delete", event),
            "quick": quick,
            "section": "calendar",
        },
    )


@login_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    event = _one(user, pk, "edit")
    people = _people(user)
    mine = list(EventParticipant.objects.filter(event=event).values_list("user_id", flat=True))
    conflict = None
    if request.method == "POST":
        form = EventForm(request.POST, user=user, people=people)
        if form.is_valid():
            # Participants one cannot see stay invited: the form only offers one's colleagues.
            offered = set(people.values_list("pk", flat=True))
            values = form.values()
            values["participants"] = [p.pk for p in values["participants"]] + [
                pk for pk in mine if pk not in offered
            ]
            # A client one cannot see is not offered by the picker: it stays as it is.
            queries.visible_clients(user, [event])
            for name in ("company", "contact"):
                hidden = getattr(event, f"{name}_id") and not getattr(event, f"{name}_shown")
                if hidden and values.get(name) is None:
                    values.pop(name, None)
            try:
                saved = event_services.event_update(
                    actor=user,
                    event=event,
                    version=int(form.cleaned_data.get("version") or 0),
                    values=values,
                )
            except DomainError as error:
                conflict = apply_domain_error(form, error)
                if conflict:  # the next save is against the version just shown
                    data = request.POST.copy()
                    data["version"] = str(conflict["version"])
                    form.data = data
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved})
                return redirect("activities:event-detail", pk=saved.pk)
    else:
        form = EventForm(initial=EventForm.initial_of(event, mine), user=user, people=people)
    return render(
        request,
        "activities/event_form.html",
        {"form": form, "object": event, "conflict": conflict, "section": "calendar"},
        status=200 if request.method != "POST" else 409 if conflict else 422,
    )


@require_POST
@login_required
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    event = _one(user, pk, "delete")
    try:
        event_services.event_trash(actor=user, event=event)
    except (NotFoundError, ForbiddenError):
        raise Http404 from None
    event.refresh_from_db()
    back = _calendar_at(event)
    undo_views.offer(
        request, _("“%(name)s” deleted.") % {"name": event}, undo.for_trash(event), back
    )
    if _fetch(request):
        toast = list(messages.get_messages(request))[-1]
        token = toast.extra_tags.partition("undo:")[2]
        return JsonResponse(
            {"message": str(toast.message), "undoUrl": reverse("records:undo", args=[token])}
        )
    return redirect(back)


@login_required
def calendar_import(request: HttpRequest) -> HttpResponse:
    """Upload an .ics file into one's own calendar."""
    user = signed_in(request)
    if not access.has_any(user, "events", "create"):
        raise PermissionDenied
    problems: list[str] = []
    if request.method == "POST":
        form = IcsUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = ical_import(actor=user, data=form.cleaned_data["file"].read())
            except IcalImportError as error:
                problems = error.problems[:20]
            else:
                messages.success(
                    request,
                    _(
                        "Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged,"
                        " %(removed)d removed."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "removed": result.removed,
                    },
                )
                if result.skipped:
                    messages.info(
                        request,
                        _("%(count)d to-dos in the file are not calendar events: left out.")
                        % {"count": result.skipped},
                    )
                if result.cut:
                    messages.info(
                        request,
                        _("%(count)d far occurrences of repeating events were left out.")
                        % {"count": result.cut},
                    )
                return redirect("activities:calendar")
    else:
        form = IcsUploadForm()
    return render(
        request,
        "activities/calendar_import.html",
        {"form": form, "problems": problems, "section": "calendar"},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def subscription_create(request: HttpRequest) -> HttpResponse:
    """A new secret subscription address (the old one, if any, stops working)."""
    user = signed_in(request)
    feeds.feed_create(actor=user)
    messages.success(request, _("A new subscription address is ready; the old one stopped."))
    return redirect(_back(request))


@require_POST
@login_required
def subscription_revoke(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if feeds.feed_revoke(actor=user):
        messages.success(request, _("The subscription address no longer works."))
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target in (reverse("accounts:profile"),):
        return target
    return reverse("activities:calendar")


@require_safe
def calendar_ical(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed a calendar program subscribes to: no login, the address is the key.
    A made-up, forged or revoked address answers 404."""
    feed = queries.feed_by_token(token)
    if feed is None:
        raise Http404
    now = timezone.now()
    found = list(queries.feed_events(feed.user, now - FEED_PAST, now + FEED_AHEAD)[:5000])
    queries.visible_clients(feed.user, found)
    body = ical.calendar_of(
        found,
        domain=ical.site_domain(),
        name=_("Kartoteka: %(name)s") % {"name": feed.user},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kartoteka.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
