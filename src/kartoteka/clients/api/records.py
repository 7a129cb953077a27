"""REST endpoints for companies and contacts (public shape: integrators rely on it)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar

from django.db.models import JSONField, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.accounts.models import Branch, User
from kartoteka.clients import queries
from kartoteka.clients.fields import COMPANY_FIELDS, CONTACT_FIELDS
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.models.channels import EmailKind, PhoneKind
from kartoteka.clients.models.relation import Relation
from kartoteka.clients.services import common
from kartoteka.clients.services.companies import LISTS as LISTS_OF_COMPANIES
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.contacts import LISTS as LISTS_OF_CONTACTS
from kartoteka.clients.services.contacts import contact_create, contact_update
from kartoteka.core import access, kinds
from kartoteka.core.errors import NotFoundError
from kartoteka.core.ids import MAX_ID
from kartoteka.core.models import Record
from kartoteka.core.prefetch import prefetched, remembered
from kartoteka.core.records import reads_back_as_is
from kartoteka.core.rest.lists import RowListMixin
from kartoteka.core.rest.serializers import (
    FieldsBuiltOnce,
    ReadOnceSerializer,
    ReleasesSerializers,
)
from kartoteka.core.rest.versioning import required_version
from kartoteka.core.web import signed_in
from kartoteka.records.api.bulk import BulkActions
from kartoteka.records.api.duplicates import DuplicateActions
from kartoteka.records.api.exports import ExportActions


class PhoneSerializer(serializers.Serializer):  # type: ignore[type-arg]
    number = serializers.CharField(max_length=40, help_text="Any format in; E.164 out")
    kind = serializers.ChoiceField(choices=PhoneKind.choices, default=PhoneKind.MOBILE)


class EmailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    # Shape only: the service checks the address so every bad field is named in one answer.
    address = serializers.CharField(max_length=254)
    kind = serializers.ChoiceField(choices=EmailKind.choices, default=EmailKind.WORK)


class RelatedPersonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=200)
    relation = serializers.ChoiceField(choices=Relation.choices)
    birthday = serializers.DateField(required=False, allow_null=True)
    anniversary = serializers.DateField(required=False, allow_null=True)


class EmploymentSerializer(serializers.Serializer):  # type: ignore[type-arg]
    company = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    position = serializers.CharField(max_length=150, required=False, allow_blank=True)


#: what every record shows besides its kind's fields
RECORD_FIELDS = ("custom_fields", "version", "created_at", "updated_at")


#: columns the API sorts clients by beyond the pages' ones: ``?ordering=-updated_at`` is how
#: a program syncing with the card file reads what changed since it last looked (indexed)
SYNC_COLUMNS = ("updated_at",)

#: the parameters a caller-ID lookup whose statement is kept may have (see ``kept_statement``)
KEPT_PARAMS = frozenset({"phone", "limit", "ordering"})


def filter_parameters(fields: tuple[kinds.Field, ...]) -> list[OpenApiParameter]:
    """The list filters of a kind's field list, for the schema."""
    return [
        OpenApiParameter(param, int if lookup.endswith("_id") else str)
        for param, lookup in kinds.filters(fields).items()
    ]


class RecordSerializer(ReadOnceSerializer, FieldsBuiltOnce):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all(), required=False)
    version = serializers.IntegerField(
        required=False, help_text="Required on update: the version you read."
    )
    phones = PhoneSerializer(many=True, required=False)
    emails = EmailSerializer(many=True, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        write_only=True,
        help_text="Tag names; unknown names create tags.",
    )
    custom_fields = serializers.DictField(
        required=False, help_text="Values keyed by the field's code."
    )

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Pickers are scoped: an id the caller cannot see is "not found", like a missing one.
            fields["owner"].queryset = access.scoped(User.objects.all(), signed_in(request))  # type: ignore[attr-defined]
        return fields

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["tags"] = sorted(tag.name for tag in prefetched(instance, "tags"))
        return data


class CompanySerializer(RecordSerializer):
    class Meta:
        model = Company
        # The kind's field list says what the API shows and takes.
        fields = ("id", *kinds.names(COMPANY_FIELDS, "api"), *RECORD_FIELDS)
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "inn": {"validators": [], "max_length": 20},
            "kpp": {"validators": [], "max_length": 20},
            "ogrn": {"validators": [], "max_length": 20},
            "website": {"validators": []},
        }


class ContactSerializer(RecordSerializer):
    companies = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        write_only=True,
        help_text=(
            "Ids of the companies the person works at, among those you may see. On write, "
            "replaces only those: links to companies you cannot see (or in the trash) are kept."
        ),
    )
    employments = EmploymentSerializer(
        many=True,
        required=False,
        write_only=True,
        help_text=(
            "Companies with positions; wins over `companies`. Like `companies`: only those you "
            "may see are listed and replaced."
        ),
    )
    related_persons = RelatedPersonSerializer(many=True, required=False, write_only=True)

    class Meta:
        model = Contact
        fields = ("id", *kinds.names(CONTACT_FIELDS, "api"), *RECORD_FIELDS)
        read_only_fields = ("id", "created_at", "updated_at")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        jobs = prefetched(instance, "employments")
        data["companies"] = [job.company_id for job in jobs]
        data["employments"] = [
            {"company": job.company_id, "position": job.position} for job in jobs
        ]
        data["related_persons"] = [
            {
                "name": p.name,
                "relation": p.relation,
                "birthday": p.birthday.isoformat() if p.birthday else None,
                "anniversary": p.anniversary.isoformat() if p.anniversary else None,
            }
            for p in prefetched(instance, "related_persons")
        ]
        return data


class RecordViewSet(
    ReleasesSerializers,
    RowListMixin,
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

    def list_alternatives(self) -> list[Q] | None:
        # The list's first rows found one access-rule part at a time (pagination.page_of).
        assert self.queryset is not None
        user = signed_in(self.request)
        return queries.list_alternatives(user, self.queryset.model, self.request.query_params)

    def plan_kept(self) -> bool:
        return queries.plan_kept(self.request.query_params)

    def kept_statement(self) -> tuple[Hashable, Any] | None:
        # A caller-ID lookup: for one access rule, page size and order, only the number
        # differs from call to call, so its statement is compiled once.
        params = self.request.query_params
        if not self.plan_kept() or not set(params) <= KEPT_PARAMS:
            return None
        number = queries.phone_or_none(str(params["phone"]))
        if number is None:
            return None
        rule = access.rule_key(signed_in(self.request))
        return (type(self), rule, params.get("limit"), params.get("ordering")), number

    def _values(self, serializer: serializers.BaseSerializer) -> dict[str, Any]:  # type: ignore[type-arg]
        data = dict(serializer.validated_data)
        data.pop("version", None)
        for key in ("phones", "emails", "related_persons", "employments"):
            if key in data:
                data[key] = [dict(item) for item in data[key]]
        return data

    #: the record's lists the answer prints (the relations' names)
    lists: tuple[str, ...] = ()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.create_service(signed_in(request), self._values(serializer))
        answer = obj if self._as_written(obj) else self._reread(signed_in(request), obj)
        return Response(self.get_serializer(answer).data, status=status.HTTP_201_CREATED)

    def _as_written(self, obj: Record) -> bool:
        # The service left every list it wrote on the new record (their links all checked
        # visible to the caller), and its JSON columns read back as they are: what a re-read
        # would print, without its six queries.
        return remembered(obj, *self.lists) is not None and all(
            reads_back_as_is(getattr(obj, field.attname))
            for field in obj._meta.concrete_fields
            if isinstance(field, JSONField)
        )

    def _reread(self, user: User, obj: Record) -> Record:
        # A group rule may have given the record to someone outside the caller's scope; the
        # caller still learns what they just wrote, as it was saved — its links, as everywhere,
        # only as far as the caller may see them.
        try:
            return self.one(user, obj.pk)
        except NotFoundError:
            return queries.api_rows(user, type(obj).all_objects.filter(pk=obj.pk)).get()

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        serializer = self.get_serializer(
            obj, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        version = required_version(request)
        updated = self.update_service(signed_in(request), obj, version, self._values(serializer))
        return Response(self.get_serializer(self._reread(signed_in(request), updated)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        common.record_trash(actor=signed_in(request), obj=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


PHONE_PARAMETER = OpenApiParameter(
    "phone", str, description="A phone number in any format (caller ID lookup)"
)
FILTER_DOC = "Also: cf_<code> (a custom field's value), cf_<code>__from and cf_<code>__to (ranges)."


@extend_schema_view(
    list=extend_schema(
        description=FILTER_DOC,
        parameters=[
            OpenApiParameter(
                "q", str, description="Name, email, INN, phone (any format) or its last digits"
            ),
            PHONE_PARAMETER,
            *filter_parameters(COMPANY_FIELDS),
        ],
    )
)
class CompanyViewSet(BulkActions, DuplicateActions, ExportActions, RecordViewSet):
    """Companies you may see: list, read, create, update (send `version`), delete to the trash."""

    entity = "companies"
    serializer_class = CompanySerializer
    lists = LISTS_OF_COMPANIES
    ordering_fields = (*kinds.sort_columns(COMPANY_FIELDS), *SYNC_COLUMNS)
    queryset = Company.objects.none()

    def get_queryset(self) -> QuerySet[Company]:
        params = self.request.query_params
        user = signed_in(self.request)
        return queries.api_rows(
            user, queries.companies(user, text=params.get("q", ""), params=params)
        )

    def one(self, user: User, pk: int) -> Company:
        return access.one_or_404(queries.api_rows(user, queries.companies(user)), pk=pk)

    def create_service(self, actor: User, values: dict[str, Any]) -> Company:
        return company_create(actor=actor, values=values)

    def update_service(
        self, actor: User, obj: Company, version: int, values: dict[str, Any]
    ) -> Company:
        return company_update(actor=actor, company=obj, version=version, values=values)


@extend_schema_view(
    list=extend_schema(
        description=FILTER_DOC,
        parameters=[
            OpenApiParameter(
                "q", str, description="Name, email, phone (any format) or its last digits"
            ),
            PHONE_PARAMETER,
            OpenApiParameter("company", int),
            *filter_parameters(CONTACT_FIELDS),
        ],
    )
)
class ContactViewSet(BulkActions, DuplicateActions, ExportActions, RecordViewSet):
    """People you may see: list, read, create, update (send `version`), delete to the trash."""

    entity = "contacts"
    serializer_class = ContactSerializer
    lists = LISTS_OF_CONTACTS
    ordering_fields = (*kinds.sort_columns(CONTACT_FIELDS), *SYNC_COLUMNS)
    queryset = Contact.objects.none()

    def get_queryset(self) -> QuerySet[Contact]:
        params = self.request.query_params
        user = signed_in(self.request)
        return queries.api_rows(
            user,
            queries.contacts(
                user,
                text=params.get("q", ""),
                phone=params.get("phone", ""),
                params=params,
            ),
        )

    def one(self, user: User, pk: int) -> Contact:
        return access.one_or_404(queries.api_rows(user, queries.contacts(user)), pk=pk)

    def create_service(self, actor: User, values: dict[str, Any]) -> Contact:
        return contact_create(actor=actor, values=values)

    def update_service(
        self, actor: User, obj: Contact, version: int, values: dict[str, Any]
    ) -> Contact:
        return contact_update(actor=actor, contact=obj, version=version, values=values)
