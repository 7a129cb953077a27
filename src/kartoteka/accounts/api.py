"""REST endpoints for users, branches and roles."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.accounts import queries, rights, services
from kartoteka.accounts.models import Action, Branch, Role, Scope, Team, User
from kartoteka.core import kinds, me
from kartoteka.core.rest.serializers import ReadOnceSerializer, ReleasesSerializers
from kartoteka.core.rest.versioning import required_version
from kartoteka.core.web import signed_in


class UserSerializer(ReadOnceSerializer, serializers.ModelSerializer):  # type: ignore[type-arg]
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}
    )
    current_password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        help_text="Needed to change one's own password; wrong answers are throttled like logins "
        "(429). An administrator resetting someone else's password leaves it out.",
    )
    roles = serializers.PrimaryKeyRelatedField(
        queryset=Role.objects.all(), many=True, required=False
    )
    teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), many=True, required=False
    )
    branch = serializers.PrimaryKeyRelatedField(queryset=Branch.objects.all())
    version = serializers.IntegerField(required=False)

    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "password",
            "current_password",
            "first_name",
            "last_name",
            "email",
            "phone",
            "branch",
            "roles",
            "teams",
            "language",
            "is_active",
            "version",
        )
        read_only_fields = ("id",)
        extra_kwargs: ClassVar[dict[str, Any]] = {"username": {"validators": []}}


class OwnRecordSerializer(UserSerializer):
    """One's own user record, its roles and teams read as ids with the rest of it
    (:func:`queries.myself`) rather than as objects."""

    roles = serializers.ListField(  # type: ignore[assignment]
        child=serializers.IntegerField(), source="role_ids", read_only=True
    )
    teams = serializers.ListField(  # type: ignore[assignment]
        child=serializers.IntegerField(), source="team_ids", read_only=True
    )


class MeSerializer(OwnRecordSerializer):
    """One's own record, with what other modules add to it (see :mod:`kartoteka.core.me`)."""

    calendar_feed_url = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text="The secret iCalendar (RFC 5545) address of one's meetings for Outlook, Google "
        "Calendar or Thunderbird to subscribe to; null until made on the calendar page.",
    )

    class Meta(UserSerializer.Meta):
        fields = (*UserSerializer.Meta.fields, "calendar_feed_url")  # type: ignore[assignment]


class UserViewSet(
    ReleasesSerializers,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # type: ignore[type-arg]
    """People. Everyone sees whom their role lets them; administrators create and edit."""

    serializer_class = UserSerializer
    queryset = User.objects.none()

    def get_queryset(self) -> QuerySet[User]:
        return queries.users(signed_in(self.request))

    def get_object(self) -> User:
        return queries.user(signed_in(self.request), int(self.kwargs["pk"]))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not data.get("password"):
            raise serializers.ValidationError({"password": ["This field is required."]})
        data.pop("version", None)
        data.pop("is_active", None)
        data.pop("current_password", None)
        user = services.user_create(actor=signed_in(request), **data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.get_object()
        serializer = self.get_serializer(
            target, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        version = required_version(request)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        password = data.pop("password", None)
        current_password = data.pop("current_password", None)
        roles = data.pop("roles", None)
        teams = data.pop("teams", None)
        # One service call: who may change what (roles, teams, branch and the active flag need
        # users.assign and stay within the actor's own rights) is checked before anything is
        # written, the password included.
        user = services.user_update(
            actor=signed_in(request),
            user=target,
            version=version,
            values=data,
            roles=roles,
            teams=teams,
            password=password,
            current_password=current_password,
        )
        return Response(self.get_serializer(user).data)

    @extend_schema(responses=MeSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request: Request) -> Response:
        user = signed_in(request)
        read = queries.myself(user)
        data = dict(OwnRecordSerializer(user, context=self.get_serializer_context()).data)
        data.update(me.fields(request._request, read))
        return Response(data)


class BranchSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Branch
        fields = ("id", "name", "city", "is_active")
        read_only_fields = ("id", "is_active")
        extra_kwargs: ClassVar[dict[str, Any]] = {"name": {"validators": []}}


class BranchViewSet(
    ReleasesSerializers,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):  # type: ignore[type-arg]
    """Branch offices: readable by every signed-in user; administrators add them."""

    serializer_class = BranchSerializer

    def get_queryset(self) -> QuerySet[Branch]:
        return Branch.objects.all()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        branch = services.branch_save(
            actor=signed_in(request),
            branch=None,
            name=serializer.validated_data["name"],
            city=serializer.validated_data.get("city", ""),
        )
        return Response(self.get_serializer(branch).data, status=status.HTTP_201_CREATED)


class GrantSerializer(serializers.Serializer):  # type: ignore[type-arg]
    # The entities are whatever the apps registered (kartoteka.core.kinds): read when built.
    entity = serializers.ChoiceField(choices=[])
    action = serializers.ChoiceField(choices=Action.choices)
    scope = serializers.ChoiceField(choices=Scope.choices)

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        fields["entity"].choices = [  # type: ignore[attr-defined]
            (entity.code, str(entity.label)) for entity in kinds.entities()
        ]
        return fields


class RoleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    grants = GrantSerializer(many=True)
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Role
        fields = ("id", "code", "name", "description", "is_builtin", "grants", "version")
        read_only_fields = ("id", "is_builtin")
        extra_kwargs: ClassVar[dict[str, Any]] = {"code": {"validators": []}}


class RoleViewSet(
    ReleasesSerializers,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # type: ignore[type-arg]
    """Roles and their grant tables; administrators create and edit them."""

    serializer_class = RoleSerializer

    def get_queryset(self) -> QuerySet[Role]:
        return queries.roles()

    def _save(self, request: Request, role: Role | None, partial: bool = False) -> Response:
        serializer = self.get_serializer(role, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cells = (
            {(g["entity"], g["action"]): g["scope"] for g in data["grants"]}
            if "grants" in data
            # Kept as they are; cells that never meant anything are dropped, not refused.
            else {
                (g.entity, g.action): g.scope
                for g in role.grants.all()
                if rights.is_meaningful(g.entity, g.action, g.scope)
            }
            if role
            else {}
        )
        saved = services.role_save(
            actor=signed_in(request),
            role=role,
            name=data.get("name", role.name if role else ""),
            code=role.code if role else data.get("code", ""),
            description=data.get("description", role.description if role else ""),
            cells=cells,
            version=required_version(request) if role else None,
        )
        return Response(
            self.get_serializer(queries.role(saved.pk)).data,
            status=status.HTTP_200_OK if role else status.HTTP_201_CREATED,
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, None)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, self.get_object(), partial=kwargs.get("partial", False))
