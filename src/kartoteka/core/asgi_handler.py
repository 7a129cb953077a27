"""Django's ASGI handler, with a request's synchronous work done in one hop to a worker thread.

Django's own handler runs the middleware in async mode: with any synchronous middleware in the
stack, one request crosses between the event loop and a thread six to eight times (the started
signal, the outer middleware, back to the loop for the inner async-capable middleware, the view,
the response's close), and makes a new thread for each request to keep its thread-sensitive code
together. Each crossing costs tens of microseconds of scheduling and context copying; together
they were most of the unauthenticated floor (``/health/``).

Here the middleware is loaded in synchronous mode and everything from the ``request_started``
signal to the response's ``close()`` runs in one call on a reused worker thread; the event loop
only reads the body and writes the response. Several requests of one process still run side by
side (a long export does not hold up a card). Streaming responses — the bell's event stream,
files — are sent as Django sends them, watching for the client going away, and closed after.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class OneHopASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        # The whole chain and the view run in the worker thread (see the module's docstring).
        super().load_middleware(is_async=False)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Only HTTP connections are served, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        response = await sync_to_async(self._respond, thread_sensitive=False)(scope, body_file)
        if not response.streaming:
            await self.send_response(response, send)
            return
        await self._stream(response, receive, send)
        await sync_to_async(response.close, thread_sensitive=False)()
        body_file.close()

    def _respond(self, scope: Any, body_file: Any) -> HttpResponseBase:
        """Everything synchronous about one request, in the worker thread."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, refused = self.create_request(scope, body_file)
        if request is None:
            assert refused is not None  # create_request gives one or the other
            response: HttpResponseBase = refused
        else:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if response.streaming:
            # The stream is read later, maybe on another thread: the view's connections go
            # back now rather than from a thread that does not own them.
            close_old_connections()
        else:
            # The body is ready: the request is finished (connections back to the pool, files
            # closed) before its bytes go out.
            response.close()
            body_file.close()
        return response

    async def _stream(self, response: HttpResponseBase, receive: Any, send: Any) -> None:
        """Send a streaming response until it ends or the client goes away."""
        sending = asyncio.ensure_future(self.send_response(response, send))
        leaving = asyncio.ensure_future(self.listen_for_disconnect(receive))
        await asyncio.wait({sending, leaving}, return_when=asyncio.FIRST_COMPLETED)
        for task in (leaving, sending):
            if not task.done():
                task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001,S110 - the client left
                pass
