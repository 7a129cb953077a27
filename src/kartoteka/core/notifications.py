"""Notifications: the bell (in-app), mail, each person's channels, and an exactly-once outbox.

**In the app.** :func:`notify` writes one line in a person's bell, once per key: calling it again
with the same key changes nothing. Open pages hear of it at once (``core/bus.py``).

**Kinds and channels.** Every kind of notification ("task_reminder", "meeting_reminder",
"important_date"...) is registered with :func:`register_kind` by the app that produces it, with
the channels it goes to unless a person chose otherwise on their profile
(:func:`set_channels`). Channels: in the app (:data:`IN_APP`) and by email (:data:`EMAIL`).

**The outbox.** Producers that must deliver exactly once (reminders) :func:`plan` deliveries: one
:class:`~kartoteka.core.models.Delivery` row per (source, person, channel, due moment), unique,
so planning the same reminder twice plans it once. :func:`dispatch` sends what is due:

1. *claim* a row with one conditional UPDATE (waiting → being sent, with a random token and a
   lease of :data:`LEASE`): two senders never hold the same row;
2. *send*: the in-app line is written in the same transaction that marks the row sent, so it is
   exactly once outright; a mail carries the Message-ID fixed when the row was planned;
3. *mark* the row sent (only if the claim is still ours).

A sender killed between 1 and 3 leaves the row "being sent" with a lease that runs out; the next
dispatch after that claims it again and sends again, with the same Message-ID. So mail is
**at least once, never lost**, and the only possible repeat is a sender killed in the instant
after the mail server accepted the message and before the row was marked (the SMTP reply is
the only proof of delivery there is, RFC 1047): that copy carries the same Message-ID, which mail
stores use to drop duplicates. A sender killed at any other moment (before the server accepted
the message) leaves nothing delivered, and the retry delivers it once. We chose this over "at
most once" because a forgotten reminder costs more than one shown twice.

A failed send (server down, refused) waits and is tried again (:data:`MAX_ATTEMPTS` times, the
wait doubling up to an hour); a reminder whose source is gone, done, or moved is cancelled at
send time instead of sent.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kartoteka.core import bus, clock
from kartoteka.core.errors import DomainError
from kartoteka.core.models import Delivery, Notification, NotificationPreference

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from kartoteka.accounts.models import User

log = logging.getLogger(__name__)

IN_APP = "in_app"
EMAIL = "email"
CHANNELS: dict[str, Any] = {IN_APP: _("In the app"), EMAIL: _("By email")}

#: how long a claim holds; a sender still busy after this is taken for dead
LEASE = timedelta(minutes=5)
#: the mail server must answer within this (well inside the lease)
SMTP_TIMEOUT = 60
MAX_ATTEMPTS = 8
#: the bell shows this many lines
LATEST = 15
#: finished deliveries and read notifications are kept this long, then purged nightly
KEEP_DAYS = 180


# --- Kinds ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    code: str
    label: Promise | str
    #: channels used unless the person chose otherwise
    default_channels: tuple[str, ...] = (IN_APP, EMAIL)
    position: int = 100


KINDS: dict[str, Kind] = {}


def register_kind(
    code: str,
    label: Promise | str,
    *,
    default_channels: tuple[str, ...] = (IN_APP, EMAIL),
    position: int = 100,
) -> Kind:
    """Declare a kind of notification (in the app's ``AppConfig.ready``); again replaces it."""
    unknown = set(default_channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels {sorted(unknown)}")
    kind = Kind(code, label, tuple(default_channels), position)
    KINDS[code] = kind
    return kind


def kinds() -> list[Kind]:
    return sorted(KINDS.values(), key=lambda kind: (kind.position, kind.code))


#: sources whose deliveries are checked at send time: prefix -> still_due(id, user_id, due_at)
SOURCES: dict[str, Callable[[int, int, datetime], bool]] = {}


def register_source(prefix: str, still_due: Callable[[int, int, datetime], bool]) -> None:
    """``still_due(id, user_id, due_at)`` says at send time whether a planned delivery of
    ``"<prefix>:<id>"`` still stands (the task is not done, its reminder not moved...)."""
    SOURCES[prefix] = still_due


# --- In the app ----------------------------------------------------------------------------------
def notify(
    *, user: User | int, kind: str, title: str, body: str = "", url: str = "", key: str
) -> Notification:
    """Put a line in ``user``'s bell, once per ``key``: the same key again changes nothing.

    Open pages of the user hear of it when the transaction commits.
    """
    user_id = user if isinstance(user, int) else user.pk
    values = {"kind": kind, "title": title[:300], "body": body, "url": url[:500]}
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(
                user_id=user_id, key=key[:200], defaults=values
            )
    except IntegrityError:  # written meanwhile by someone else: that one stands
        return Notification.objects.get(user_id=user_id, key=key[:200])
    if created:
        transaction.on_commit(lambda: bus.publish(user_id), robust=True)
    return notification


def of(user: User) -> QuerySet[Notification]:
    """``user``'s own notifications, newest first; nobody else's, whatever their role."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-id")


def unread_count(user: User) -> int:
    return of(user).filter(read_at__isnull=True).count()


def latest(user: User, limit: int = LATEST) -> list[Notification]:
    return list(of(user)[:limit])


def by_day(items: list[Notification]) -> list[tuple[bool, list[Notification]]]:
    """``items`` (newest first) as (today?, items) groups: today's, then earlier ones."""
    today = timezone.localdate()
    groups: list[tuple[bool, list[Notification]]] = []
    for item in items:
        is_today = timezone.localdate(item.created_at) == today
        if not groups or groups[-1][0] != is_today:
            groups.append((is_today, []))
        groups[-1][1].append(item)
    return groups


def newer_than(user_id: int, after: int, limit: int = 20) -> list[Notification]:
    """Notifications of ``user_id`` after id ``after``, oldest first (for the live stream)."""
    return list(Notification.objects.filter(user_id=user_id, id__gt=after).order_by("id")[:limit])


def mark_read(*, user: User, notification_id: int) -> Notification | None:
    """Mark one of ``user``'s notifications read; None if it is not theirs (or does not exist)."""
    notification = of(user).filter(pk=notification_id).first()
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
        transaction.on_commit(lambda: bus.publish(user.pk), robust=True)
    return notification


def mark_all_read(*, user: User) -> int:
    """Mark all of ``user``'s notifications read; how many were unread."""
    count = of(user).filter(read_at__isnull=True).update(read_at=timezone.now())
    if count:
        transaction.on_commit(lambda: bus.publish(user.pk), robust=True)
    return count


# --- Preferences ---------------------------------------------------------------------------------
def channels_for(user_ids: Iterable[int], kind: str) -> dict[int, tuple[str, ...]]:
    """The channels each of ``user_ids`` wants for ``kind`` (one query)."""
    wanted = list(set(user_ids))
    default = KINDS[kind].default_channels if kind in KINDS else (IN_APP,)
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=wanted, kind=kind).values_list(
            "user_id", "channels"
        )
    )
    return {
        pk: tuple(c for c in CHANNELS if c in chosen[pk]) if pk in chosen else default
        for pk in wanted
    }


@dataclass
class PreferenceRow:
    kind: Kind
    channels: dict[str, bool] = field(default_factory=dict)


def preference_table(user: User) -> list[PreferenceRow]:
    """Every kind with the channels ``user`` gets it through, for the profile page."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channels"))
    rows = []
    for kind in kinds():
        active = chosen.get(kind.code, kind.default_channels)
        rows.append(PreferenceRow(kind, {code: code in active for code in CHANNELS}))
    return rows


def set_channels(*, user: User, chosen: dict[str, Iterable[str]]) -> None:
    """``user``'s channels per kind (a kind left out keeps its setting). Their own choice: no
    version check, no audit (like the list density)."""
    errors: dict[str, list[str]] = {}
    for kind, channels in chosen.items():
        if kind not in KINDS:
            errors[kind] = [str(_("Unknown kind of notification."))]
        elif set(channels) - set(CHANNELS):
            errors[kind] = [str(_("Unknown channel."))]
    if errors:
        raise DomainError(fields=errors)
    with transaction.atomic():
        for kind, channels in chosen.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"channels": [c for c in CHANNELS if c in channels]}
            )


# --- The outbox ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Planned:
    """One notification to deliver to one person at one moment, through their channels."""

    source: str
    user_id: int
    due_at: datetime
    kind: str
    title: str
    body: str = ""
    url: str = ""


def _message_id(source: str, user_id: int, due_at: datetime) -> str:
    digest = hashlib.sha256(f"{source}|{user_id}|{due_at.isoformat()}".encode()).hexdigest()
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "kartoteka.local"
    return f"<{digest[:40]}@{domain}>"


def plan(items: Iterable[Planned]) -> int:
    """Write the deliveries of ``items`` through each person's channels for the kind; what is
    planned already stays as it is. Returns how many rows were asked for."""
    items = list(items)
    rows: list[Delivery] = []
    by_kind: dict[str, list[Planned]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    for kind, group in by_kind.items():
        wanted = channels_for((item.user_id for item in group), kind)
        for item in group:
            for channel in wanted[item.user_id]:
                rows.append(
                    Delivery(
                        source=item.source,
                        user_id=item.user_id,
                        channel=channel,
                        due_at=item.due_at,
                        kind=kind,
                        title=item.title[:300],
                        body=item.body,
                        url=item.url[:500],
                        not_before=item.due_at,
                        message_id=_message_id(item.source, item.user_id, item.due_at)
                        if channel == EMAIL
                        else "",
                    )
                )
    Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


@dataclass
class Dispatched:
    sent: int = 0
    failed: int = 0
    cancelled: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, cancelled {self.cancelled}"


def _open(now: datetime) -> Q:
    return Q(state=Delivery.State.PENDING, not_before__lte=now) | Q(
        state=Delivery.State.SENDING, claimed_until__lt=now
    )


def dispatch(*, limit: int = 1000) -> Dispatched:
    """Send every delivery due by :func:`clock.now` (claim, send, mark: see the module)."""
    now = clock.now()
    result = Dispatched()
    due = list(
        Delivery.objects.filter(_open(now))
        .order_by("not_before", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        token = secrets.token_hex(16)
        claimed = (
            Delivery.objects.filter(_open(now), pk=pk).update(
                state=Delivery.State.SENDING,
                claim_token=token,
                claimed_until=now + LEASE,
                attempts=F("attempts") + 1,
            )
            == 1
        )
        if claimed:
            _deliver(pk, token, now, result)
    return result


def _finish(pk: int, token: str, **values: Any) -> bool:
    return Delivery.objects.filter(pk=pk, claim_token=token).update(**values) == 1


def _deliver(pk: int, token: str, now: datetime, result: Dispatched) -> None:
    delivery = Delivery.objects.select_related("user").get(pk=pk)
    reason = _cancel_reason(delivery)
    if reason:
        _finish(pk, token, state=Delivery.State.CANCELLED, last_error=reason, claimed_until=None)
        result.cancelled += 1
        return
    try:
        if delivery.channel == IN_APP:
            with transaction.atomic():
                notify(
                    user=delivery.user,
                    kind=delivery.kind,
                    title=delivery.title,
                    body=delivery.body,
                    url=delivery.url,
                    key=f"{delivery.source}@{delivery.due_at.isoformat()}",
                )
                _finish(pk, token, state=Delivery.State.SENT, sent_at=now, claimed_until=None)
        else:
            _send_mail(delivery)
            _finish(pk, token, state=Delivery.State.SENT, sent_at=now, claimed_until=None)
        result.sent += 1
    except Exception as error:  # noqa: BLE001 - one failed send must not stop the others
        log.warning("delivery %s failed (attempt %s): %s", pk, delivery.attempts, error)
        final = delivery.attempts >= MAX_ATTEMPTS
        wait = timedelta(minutes=min(60, 2 ** max(0, delivery.attempts - 1)))
        _finish(
            pk,
            token,
            state=Delivery.State.FAILED if final else Delivery.State.PENDING,
            not_before=now + wait,
            claimed_until=None,
            last_error=f"{error.__class__.__name__}: {error}"[:500],
        )
        result.failed += 1


def _cancel_reason(delivery: Delivery) -> str:
    if not delivery.user.is_active:
        return "the person is no longer active"
    if delivery.channel == EMAIL and not delivery.user.email:
        return "the person has no email address"
    prefix, _sep, ident = delivery.source.partition(":")
    still_due = SOURCES.get(prefix)
    if still_due is not None and ident.isdigit():
        if not still_due(int(ident), delivery.user_id, delivery.due_at):  # type: ignore[attr-defined]
            return "no longer due"
    return ""


def _send_mail(delivery: Delivery) -> None:
    link = f"{settings.SITE_URL.rstrip('/')}{delivery.url}" if delivery.url else ""
    text = "\n\n".join(part for part in (delivery.body, link) if part)
    message = EmailMessage(
        subject=delivery.title,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.user.email],
        headers={"Message-ID": delivery.message_id},
        connection=get_connection(timeout=SMTP_TIMEOUT),
    )
    message.send()


def purge_old() -> int:
    """Delete finished deliveries and read notifications older than :data:`KEEP_DAYS` (as of
    :func:`clock.now`). Unread ones stay. The reminder sweep never looks that far back, so a
    purged delivery is never planned again."""
    cutoff = clock.now() - timedelta(days=KEEP_DAYS)
    done = [Delivery.State.SENT, Delivery.State.CANCELLED, Delivery.State.FAILED]
    deliveries, _kinds = Delivery.objects.filter(state__in=done, due_at__lt=cutoff).delete()
    read, _kinds = Notification.objects.filter(read_at__lt=cutoff).delete()
    return deliveries + read
