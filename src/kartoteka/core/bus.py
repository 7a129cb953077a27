"""Live updates for open pages: "something new for user N" reaches every web process.

A publisher (a notification written, notifications marked read) calls :func:`publish` after its
transaction commits. Open event streams (``core/notification_views.stream``) :func:`subscribe`
for their user and are woken; they then read what is new from the database, so a wake-up carries
no data and a lost or doubled one does no harm.

How a wake-up crosses processes:

- **Redis** (``KARTOTEKA_REDIS_URL`` set, production): :func:`publish` sends it on a Redis
  pub/sub channel; every web process that has open streams listens on that channel in one thread
  and wakes its local subscribers. Any node's write reaches every node's streams at once.
- **Embedded** (no Redis): the wake-up goes to this process's subscribers directly. Writes made
  by another process (``kartoteka jobs run``, a second web worker) are found by one thread per
  process that looks at the newest notification id every :data:`POLL_SECONDS` while streams are
  open: one cheap query however many people are connected.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

log = logging.getLogger(__name__)

CHANNEL = "kartoteka:live"
#: embedded mode: how often other processes' notifications are looked for
POLL_SECONDS = 2.0


class Subscription:
    """One open stream's doorbell: sync code waits on it, async code awaits it."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self._event = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_event: asyncio.Event | None = None

    def ring(self) -> None:
        self._event.set()
        loop, event = self._loop, self._async_event
        if loop is not None and event is not None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop has closed: the stream is gone
                pass

    def wait(self, timeout: float) -> bool:
        """Block until rung or ``timeout`` seconds pass; True if rung."""
        rung = self._event.wait(timeout)
        self._event.clear()
        return rung

    async def wait_async(self, timeout: float) -> bool:
        if self._async_event is None:
            self._loop = asyncio.get_running_loop()
            self._async_event = asyncio.Event()
            if self._event.is_set():
                self._async_event.set()
        try:
            await asyncio.wait_for(self._async_event.wait(), timeout)
        except TimeoutError:
            return False
        self._async_event.clear()
        self._event.clear()
        return True


class _Hub:
    """This process's subscribers, and the thread that brings other processes' news."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, set[Subscription]] = defaultdict(set)
        self._feeder: threading.Thread | None = None

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers[subscription.user_id].add(subscription)
            if self._feeder is None or not self._feeder.is_alive():
                target = _listen_redis if settings.REDIS_URL else _poll_database
                self._feeder = threading.Thread(target=target, name="kartoteka-live", daemon=True)
                self._feeder.start()

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            people = self._subscribers.get(subscription.user_id)
            if people is not None:
                people.discard(subscription)
                if not people:
                    del self._subscribers[subscription.user_id]

    def ring(self, user_ids: set[int]) -> None:
        with self._lock:
            targets = [s for pk in user_ids for s in self._subscribers.get(pk, ())]
        for subscription in targets:
            subscription.ring()

    def keep_feeding(self) -> bool:
        """False once nobody listens; the feeder then stops and the next subscriber starts one."""
        with self._lock:
            if self._subscribers:
                return True
            self._feeder = None
            return False


hub = _Hub()


def publish(*user_ids: int) -> None:
    """Wake the open streams of ``user_ids`` in every process. Call after the commit."""
    if not user_ids:
        return
    if settings.REDIS_URL:
        try:
            _redis().publish(CHANNEL, ",".join(str(pk) for pk in set(user_ids)))
            return
        except Exception:  # noqa: BLE001 - a live update is a courtesy; the bell catches up
            log.warning("live update not published", exc_info=True)
    hub.ring(set(user_ids))


@contextmanager
def subscribe(user_id: int) -> Iterator[Subscription]:
    """Wake-ups for ``user_id`` while the block runs."""
    subscription = Subscription(user_id)
    hub.add(subscription)
    try:
        yield subscription
    finally:
        hub.remove(subscription)


# --- Feeders -------------------------------------------------------------------------------------
_client = None


def _redis():  # type: ignore[no-untyped-def]
    global _client  # noqa: PLW0603 - one connection pool per process
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5)
    return _client


def _listen_redis() -> None:
    import time

    while True:
        try:
            pubsub = _redis().pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL)
            for message in pubsub.listen():
                data = message.get("data") or b""
                ids = {int(part) for part in data.decode().split(",") if part.isdigit()}
                hub.ring(ids)
        except Exception:  # noqa: BLE001 - Redis restarted: listen again shortly
            log.warning("live updates: Redis connection lost, retrying", exc_info=True)
            time.sleep(1)


def _poll_database() -> None:
    import time

    from django.db import connection

    from kartoteka.core.models import Notification

    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        # No other process can write to an in-memory database (the test suite's): nothing to
        # look for, and this thread's connection would be a different, empty database.
        while hub.keep_feeding():
            time.sleep(POLL_SECONDS)
        return
    newest: int | None = None
    while hub.keep_feeding():
        try:
            if newest is None:
                newest = Notification.objects.order_by("-id").values_list("id", flat=True).first()
                newest = newest or 0
            else:
                fresh = list(
                    Notification.objects.filter(id__gt=newest).values_list("id", "user_id")[:1000]
                )
                if fresh:
                    newest = max(pk for pk, _user in fresh)
                    hub.ring({user for _pk, user in fresh})
        except Exception:  # noqa: BLE001 - the database is busy or away: look again later
            log.warning("live updates: polling failed", exc_info=True)
        finally:
            connection.close()
        time.sleep(POLL_SECONDS)
