"""Per-user language and the idle limit on browser sessions."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

_LAST_SEEN = "kartoteka_last_seen"


class SessionIdleTimeoutMiddleware:
    """Ends a browser session left idle past ``KARTOTEKA_SESSION_IDLE_MINUTES``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last_seen = request.session.get(_LAST_SEEN)
            if last_seen and now - int(last_seen) > settings.SESSION_IDLE.total_seconds():
                logout(request)
                if not request.path.startswith("/api/"):
                    return redirect(settings.LOGIN_URL)
            elif not last_seen or now - int(last_seen) > 60:
                request.session[_LAST_SEEN] = now
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's own language wins; otherwise the language cookie or the default."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
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
