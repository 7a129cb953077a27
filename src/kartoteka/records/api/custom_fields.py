"""REST endpoint for custom field definitions: everyone signed in reads, administrators write."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.core.errors import NotFoundError
from kartoteka.core.rest.serializers import ReleasesSerializers
from kartoteka.core.web import signed_in
from kartoteka.records.models import CustomField
from kartoteka.records.services import custom_fields


class CustomFieldSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    # Plain text here: the service checks the code's format and names the field in one answer.
    code = serializers.CharField(max_length=100)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text="For choice and multiple: the allowed values.",
    )

    class Meta:
        model = CustomField
        fields = ("id", "entity", "code", "label", "type", "choices", "is_required", "position")
        read_only_fields = ("id",)
        # The service checks codes (format, uniqueness, immutability) and names the field.
        extra_kwargs: dict[str, Any] = {  # noqa: RUF012
            "entity": {"validators": []},
            "position": {"required": False},
        }
        validators: list[Any] = []  # noqa: RUF012


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("entity", str, description="A record kind: companies, contacts...")
        ]
    )
)
class CustomFieldViewSet(
    ReleasesSerializers,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):  # type: ignore[type-arg]
    """Fields administrators add to record kinds; values live in each record's ``custom_fields``.

    DELETE refuses a field that records hold values of unless ``?confirm=true``; the answer
    then names how many records lost their value.
    """

    serializer_class = CustomFieldSerializer
    queryset = CustomField.objects.none()
    pagination_class = None

    def get_queryset(self) -> QuerySet[CustomField]:
        fields = CustomField.objects.order_by("entity", "position", "id")
        entity = self.request.query_params.get("entity")
        return fields.filter(entity=entity) if entity else fields

    def get_object(self) -> CustomField:
        field = CustomField.objects.filter(pk=self.kwargs["pk"]).first()
        if field is None:
            raise NotFoundError()
        return field

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        field = custom_fields.custom_field_save(
            actor=signed_in(request),
            field=None,
            entity=data["entity"],
            code=data["code"],
            label=data["label"],
            type=data["type"],
            choices=list(data.get("choices") or []),
            is_required=data.get("is_required", False),
            position=data.get("position"),
        )
        return Response(self.get_serializer(field).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        field = self.get_object()
        serializer = self.get_serializer(field, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("entity", field.entity) != field.entity:
            raise serializers.ValidationError({"entity": ["Cannot be changed."]})
        saved = custom_fields.custom_field_save(
            actor=signed_in(request),
            field=field,
            entity=field.entity,
            code=data.get("code", field.code),
            label=data.get("label", field.label),
            type=data.get("type", field.type),
            choices=list(data.get("choices", field.choices)),
            is_required=data.get("is_required", field.is_required),
            position=data.get("position"),
        )
        return Response(self.get_serializer(saved).data)

    @extend_schema(
        parameters=[OpenApiParameter("confirm", bool, description="Delete the values too")],
        responses={
            200: inline_serializer(
                "CustomFieldDeleted",
                {
                    "records_affected": serializers.IntegerField(
                        help_text="Records that lost their value of the field"
                    )
                },
            )
        },
        description="Delete the field. 400 naming `confirm` if records hold values of it and "
        "`confirm` is not true.",
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        confirmed = request.query_params.get("confirm", "").lower() in ("1", "true", "yes")
        affected = custom_fields.custom_field_delete(
            actor=signed_in(request), field=self.get_object(), confirmed=confirmed
        )
        return Response({"records_affected": affected}, status=status.HTTP_200_OK)
