"""Users, branches, teams, roles with their access grants, API tokens and login throttling."""

from __future__ import annotations

import hashlib
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kartoteka.core import kinds

# Language names are written in their own language, so anyone finds theirs.
LANGUAGE_CHOICES = [("ru", "Русский"), ("en", "English")]


class Scope(models.TextChoices):
    OWN = "own", _("own")
    TEAM = "team", _("team")
    BRANCH = "branch", _("branch")
    ALL = "all", _("all")


class Action(models.TextChoices):
    VIEW = "view", _("view")
    CREATE = "create", _("create")
    EDIT = "edit", _("edit")
    DELETE = "delete", _("delete")
    EXPORT = "export", _("export")
    ASSIGN = "assign", _("assign")


def validate_entity(code: str) -> None:
    """What a role grant governs: an entity some app registered (kartoteka.core.kinds)."""
    if kinds.entity(code) is None:
        raise ValidationError(_("Unknown entity: %(code)s.") % {"code": code})


class Branch(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_active = models.BooleanField(pgettext_lazy("branch", "active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="teams"
    )
    members = models.ManyToManyField(
        "accounts.User", verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["branch__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "name"], name="team_unique_name_in_branch")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.branch.name})" if self.branch_id else self.name


class Role(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_builtin = models.BooleanField(_("built-in"), default=False, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        # Built-in roles are stored in English and shown in the reader's language.
        return gettext(self.name) if self.is_builtin else self.name

    @property
    def display_description(self) -> str:
        return gettext(self.description) if self.is_builtin else self.description


class RoleGrant(models.Model):
    """One cell of the access table: this role may do ``action`` on ``entity`` within ``scope``."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    entity = models.CharField(_("entity"), max_length=30, validators=[validate_entity])
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "entity", "action"], name="grant_one_scope_per_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.entity}.{self.action}={self.scope}"


class KartotekaUserManager(UserManager["User"]):
    pass


DENSITY_CHOICES = [("compact", _("Compact")), ("comfortable", _("Comfortable"))]


class User(AbstractUser):
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="users"
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), related_name="users", blank=True)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES, default="ru")
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    #: list rows: 32 px compact or 40 px comfortable; a saved view may bring its own. The
    #: database default lets code that predates the column still add users.
    list_density = models.CharField(
        _("list density"),
        max_length=12,
        choices=DENSITY_CHOICES,
        default="compact",
        db_default="compact",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    # Users are scoped like records: "own" is yourself, "branch" your branch's people.
    access_entity: ClassVar[str] = "users"
    owner_field: ClassVar[str] = "pk"

    objects: ClassVar[KartotekaUserManager] = KartotekaUserManager()  # type: ignore[assignment]
    REQUIRED_FIELDS: ClassVar[list[str]] = ["email"]  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = [self.first_name[:1], self.last_name[:1]]
        return ("".join(parts) or self.username[:2]).upper()


class ApiToken(models.Model):
    """A bearer token for programs. Only its SHA-256 is stored; the plain token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class LoginThrottle(models.Model):
    """Failed logins per username; unknown usernames are throttled alike so none leak."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return self.username
