"""REST endpoints for companies and contacts."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.accounts.models import Branch, User
from kartoteka.api.versioning import required_version
from kartoteka.clients import queries, services
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access
from kartoteka.core.models import Record
from kartoteka.core.web import signed_in


class RecordSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), required=False)
    version = serializers.IntegerField(
        required=False, help_text="Required on update: the version you read."
    )
    # Shape only here: the services validate content, so every bad field is named in one answer.
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Any format; stored and returned as E.164",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Pickers are scoped: an id the caller cannot see is "not found", like a missing one.
            viewer = signed_in(request)
            self.fields["owner"].queryset = access.scoped(User.objects.all(), viewer)  # type: ignore[attr-defined]
            if "company" in self.fields:
                self.fields["company"].queryset = access.scoped(Company.objects.all(), viewer)  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Field rules (phone, INN, scope of owner/branch) are the services' to enforce.
        return attrs


class CompanySerializer(RecordSerializer):
    class Meta:
        model = Company
        fields = (
            "id",
            "name",
            "inn",
            "phone",
            "email",
            "owner",
            "branch",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs: ClassVar[dict[str, Any]] = {"inn": {"validators": [], "max_length": 20}}


class ContactSerializer(RecordSerializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Contact
        fields = (
            "id",
            "last_name",
            "first_name",
            "middle_name",
            "company",
            "phone",
            "email",
            "owner",
            "branch",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")


class RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):  # type: ignore[type-arg]
    """List/read/create/update/delete, scoped; DELETE moves to the trash."""

    def one(self, user: User, pk: int) -> Record:
        raise NotImplementedError

    def create_service(self, actor: User, values: dict[str, Any]) -> Record:
        raise NotImplementedError

    def update_service(self, actor: User, obj: Any, version: int, values: dict[str, Any]) -> Record:
        raise NotImplementedError

    def get_object(self) -> Record:
        return self.one(signed_in(self.request), int(self.kwargs["pk"]))

    def _values(self, serializer: serializers.BaseSerializer) -> dict[str, Any]:  # type: ignore[type-arg]
        data = dict(serializer.validated_data)
        data.pop("version", None)
        return data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.create_service(signed_in(request), self._values(serializer))
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        serializer = self.get_serializer(
            obj, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        version = required_version(request)
        updated = self.update_service(signed_in(request), obj, version, self._values(serializer))
        return Response(self.get_serializer(updated).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.record_trash(actor=signed_in(request), obj=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Name, email, INN or phone fragment"),
        ]
    )
)
class CompanyViewSet(RecordViewSet):
    serializer_class = CompanySerializer
    queryset = Company.objects.none()

    def get_queryset(self) -> QuerySet[Company]:
        text = self.request.query_params.get("q", "")
        return queries.companies(signed_in(self.request), text=text)

    def one(self, user: User, pk: int) -> Company:
        return queries.company(user, pk)

    def create_service(self, actor: User, values: dict[str, Any]) -> Company:
        return services.company_create(actor=actor, values=values)

    def update_service(
        self, actor: User, obj: Company, version: int, values: dict[str, Any]
    ) -> Company:
        return services.company_update(actor=actor, company=obj, version=version, values=values)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Name, email or phone fragment"),
            OpenApiParameter(
                "phone", str, description="A phone number in any format (caller ID lookup)"
            ),
        ]
    )
)
class ContactViewSet(RecordViewSet):
    serializer_class = ContactSerializer
    queryset = Contact.objects.none()

    def get_queryset(self) -> QuerySet[Contact]:
        params = self.request.query_params
        return queries.contacts(
            signed_in(self.request), text=params.get("q", ""), phone=params.get("phone", "")
        )

    def one(self, user: User, pk: int) -> Contact:
        return queries.contact(user, pk)

    def create_service(self, actor: User, values: dict[str, Any]) -> Contact:
        return services.contact_create(actor=actor, values=values)

    def update_service(
        self, actor: User, obj: Contact, version: int, values: dict[str, Any]
    ) -> Contact:
        return services.contact_update(actor=actor, contact=obj, version=version, values=values)
