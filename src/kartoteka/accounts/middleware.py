"""Per-user language and the absolute and idle limits on browser sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.functional import LazyObject

from kartoteka.accounts import backends

_LAST_SEEN = "kartoteka_last_seen"
#: requests a page makes by itself, not the person: they do not keep an idle session alive
_PASSIVE_PATHS = ("/notifications/stream/",)
_LOGIN_AT = "kartoteka_login_at"


def mark_login(request: HttpRequest) -> None:
    """Remember when this session began: the absolute limit counts from here, not from activity.

    The stored session and its cookie are also set to end at that moment, so neither slides
    when the session is saved again later (each save would otherwise push the end forward).
    """
    now = int(timezone.now().timestamp())
    request.session[_LOGIN_AT] = now
    request.session[_LAST_SEEN] = now
    request.session.set_expiry(datetime.fromtimestamp(now + settings.SESSION_COOKIE_AGE, tz=UTC))


class SessionIdleTimeoutMiddleware:
    """Ends a browser session ``KARTOTEKA_SESSION_HOURS`` after login, however busy (absolute),
    or once left idle past ``KARTOTEKA_SESSION_IDLE_MINUTES`` (sliding)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            hasattr(request, "session")
            and request.session.get(BACKEND_SESSION_KEY) == backends.FORMER_BACKEND
        ):
            # Signed in before the sign-in backend was ours: the same check, carried over
            # (Django ends a session whose backend is no longer configured). ``request.user``
            # is read lazily, so nothing has looked at it yet.
            request.session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(timezone.now().timestamp())
            login_at = request.session.get(_LOGIN_AT)
            last_seen = request.session.get(_LAST_SEEN)
            too_old = isinstance(login_at, int) and now - login_at > settings.SESSION_COOKIE_AGE
            idle = (
                isinstance(last_seen, int)
                and now - last_seen > settings.SESSION_IDLE.total_seconds()
            )
            if too_old or idle:
                logout(request)
                if not request.path.startswith("/api/"):
                    return redirect(settings.LOGIN_URL)
            elif not isinstance(login_at, int):
                # A session signed in without the login page (or kept from before login times
                # were stored) starts its absolute limit now.
                mark_login(request)
            elif (
                not isinstance(last_seen, int) or now - last_seen > 60
            ) and not request.path.startswith(_PASSIVE_PATHS):
                request.session[_LAST_SEEN] = now
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's own language wins; otherwise the language cookie or the default."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, LazyObject) and user.is_authenticated:
            # Read by now: the view and the page get the user itself. Through Django's lazy
            # wrapper each of the ~700 reads of the user a list page makes (its access checks,
            # its links, its header) went through a failed attribute lookup first: ~1 ms.
            request.user = user = cast(Any, user)._wrapped
        if user.is_authenticated:
            language = user.language  # type: ignore[union-attr]
        else:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            if language not in dict(settings.LANGUAGES):
                language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
