"""``/api/v1/notifications/``: one's own notifications (cursor list) and marking them read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.core import notifications
from kartoteka.core.models import Notification
from kartoteka.core.web import signed_in


class NotificationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    read = serializers.SerializerMethodField(help_text="whether it has been read")

    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "url", "created_at", "read_at", "read")

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


_Unread = inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """The caller's own notifications, newest first (``?unread=true`` for unread ones only).
    Nobody else's, whatever their role."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        mine = notifications.of(signed_in(self.request))
        if self.request.query_params.get("unread") in ("1", "true"):
            mine = mine.filter(read_at__isnull=True)
        return mine

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: Any = None) -> Response:
        """Mark one of one's notifications read (again: no change)."""
        done = notifications.mark_read(user=signed_in(request), notification_id=int(pk))
        if done is None:
            raise NotFound()
        return Response(NotificationSerializer(done).data)

    @extend_schema(request=None, responses={200: _Unread})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all of one's notifications read."""
        notifications.mark_all_read(user=signed_in(request))
        return Response({"unread": 0})
