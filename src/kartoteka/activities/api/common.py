"""What the activities, tasks and events endpoints share: links read as ids, query parameters
checked as the types they name, and the write path through the kinds' services."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.accounts.models import User
from kartoteka.activities import queries
from kartoteka.core import access
from kartoteka.core.errors import NotFoundError
from kartoteka.core.ids import MAX_ID, parse_id
from kartoteka.core.models import Record
from kartoteka.core.rest.lists import RowListMixin
from kartoteka.core.rest.serializers import (
    FieldsBuiltOnce,
    ReadOnceSerializer,
    ReleasesSerializers,
)
from kartoteka.core.rest.versioning import required_version
from kartoteka.core.web import signed_in

#: what every record of these kinds shows besides its own fields
RECORD_FIELDS = ("branch", "version", "created_at", "updated_at")


class LinkField(serializers.IntegerField):
    """Another record's id: read from the row's own column (no join, no query), written as an
    id that the kind's service resolves under the access rule (a hidden one is "not found")."""

    def __init__(self, **kwargs: Any) -> None:
        # Every link may be empty when read (a user removed, a client out of the reader's sight).
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        # ``seen_<name>_id``: the link as far as the reader may see it (see queries.api_rows).
        name = self.source
        seen = f"seen_{name}_id"
        return (
            getattr(instance, seen) if hasattr(instance, seen) else getattr(instance, f"{name}_id")
        )


class KindSerializer(ReadOnceSerializer, FieldsBuiltOnce):
    """A record of one of the three kinds, read through fields built once per class."""

    version = serializers.IntegerField(
        required=False, help_text="Required on update: the version you read."
    )
    branch = LinkField(read_only=True)


# --- Query parameters ---------------------------------------------------------------------------


def _refuse(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def id_param(request: Request, name: str) -> int | None:
    """``?name=`` as a record id, None when absent; anything else is a 400 naming it."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = parse_id(raw)
    if value is None:
        raise _refuse(name, _("Give the id of a record: a whole number from 1."))
    return value


def bool_param(request: Request, name: str) -> bool | None:
    raw = (request.query_params.get(name) or "").strip().lower()
    if raw == "":
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise _refuse(name, _("Give true or false."))


def date_param(request: Request, name: str) -> datetime.date | None:
    raw = (request.query_params.get(name) or "").strip()
    if raw == "":
        return None
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        raise _refuse(name, _("Give a date as YYYY-MM-DD."))
    return value


_UNENCODED_PLUS = re.compile(r"(?<=\d) (\d\d:?\d\d)$")


def moment_param(request: Request, name: str) -> datetime.datetime | None:
    """``?name=`` as a moment: an ISO 8601 date-time (without an offset: the company's time
    zone) or a date (its midnight in the company's time zone)."""
    raw = (request.query_params.get(name) or "").strip()
    if raw == "":
        return None
    # An offset's "+" left unencoded in a URL arrives as a space: "10:00:00 03:00".
    raw = _UNENCODED_PLUS.sub(r"+\1", raw)
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = None if day is None else datetime.datetime.combine(day, datetime.time())
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment is not None:
            # In UTC: a year-9999 offset that overflows is refused here, and PostgreSQL, which
            # takes offsets only up to 15:59, never sees the one sent ("+21:28" is a 500 there).
            moment = moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise _refuse(name, _("Give a date (YYYY-MM-DD) or a date and time (ISO 8601)."))
    return moment


def choice_param(request: Request, name: str, choices: Any) -> list[str]:
    """``?name=a&name=b`` or ``?name=a,b``: values among ``choices`` (a TextChoices class)."""
    wanted = [
        part.strip()
        for raw in request.query_params.getlist(name)
        for part in raw.split(",")
        if part.strip()
    ]
    known = set(choices.values)
    unknown = [value for value in wanted if value not in known]
    if unknown:
        raise _refuse(
            name,
            _("Unknown value. Choose among: %(values)s.") % {"values": ", ".join(choices.values)},
        )
    return wanted


# --- The viewset -------------------------------------------------------------------------------


class KindViewSet(
    ReleasesSerializers,
    RowListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):  # type: ignore[type-arg]
    """List (scoped, filtered), read, create, change (PATCH with ``version``) and delete (to the
    trash) records of one kind, every write through the kind's services."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def rows(self, user: User) -> QuerySet[Any]:
        """The records ``user`` may see, loaded as the API prints them."""
        raise NotImplementedError

    def filtered(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """``rows`` narrowed by the list's query parameters."""
        return rows

    def create_service(self, actor: User, values: dict[str, Any]) -> Record:
        raise NotImplementedError

    def update_service(self, actor: User, obj: Any, version: int, values: dict[str, Any]) -> Record:
        raise NotImplementedError

    def trash_service(self, actor: User, obj: Any) -> None:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.filtered(self.rows(signed_in(self.request)))

    def get_object(self) -> Any:
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise NotFoundError()
        return access.one_or_404(self.rows(signed_in(self.request)), pk=pk)

    def _values(self, serializer: serializers.BaseSerializer) -> dict[str, Any]:  # type: ignore[type-arg]
        data = dict(serializer.validated_data)
        data.pop("version", None)
        return data

    #: re-read a record after writing it (links shown only as far as the reader may see them,
    #: lists prefetched); an activity's links are always visible to whoever may write it
    reread = True

    def _answer(self, user: User, obj: Record, http_status: int = 200) -> Response:
        if not self.reread:
            return Response(self.get_serializer(obj).data, status=http_status)
        # Re-read as every read is. Should the change have taken the record out of the caller's
        # sight (handed to someone they cannot see), they still learn what they just wrote, its
        # links as far as they may see them.
        rows = self.rows(user)
        fresh = rows.filter(pk=obj.pk).first()
        if fresh is None:
            unscoped = type(obj).all_objects.filter(pk=obj.pk)  # type: ignore[attr-defined]
            fresh = queries.api_rows(user, unscoped).get()
        return Response(self.get_serializer(fresh).data, status=http_status)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = signed_in(request)
        # Each service is its own transaction (a viewset calling two wraps them in one): no
        # outer one here, which would cost two more round trips on every call logged.
        obj = self.create_service(user, self._values(serializer))
        return self._answer(user, obj, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version = required_version(request)
        user = signed_in(request)
        updated = self.update_service(user, obj, version, self._values(serializer))
        return self._answer(user, updated)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.trash_service(signed_in(request), self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
