"""Every write about people and access: users, roles, tokens, logins."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts import rights
from kartoteka.accounts.models import (
    ApiToken,
    Branch,
    LoginThrottle,
    Role,
    RoleGrant,
    Team,
    User,
)
from kartoteka.core import access, audit
from kartoteka.core.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    TooManyAttemptsError,
)
from kartoteka.core.models import AuditEntry

USER_AUDITED_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "branch",
    "language",
    "is_active",
    "phone",
)


# --- Login and lockout ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_minutes: int = 0


def _lock_remaining_minutes(throttle: LoginThrottle | None) -> int:
    if throttle is None or throttle.locked_until is None:
        return 0
    remaining = throttle.locked_until - timezone.now()
    if remaining.total_seconds() <= 0:
        return 0
    return max(
        1, int(remaining.total_seconds() // 60) + (1 if remaining.total_seconds() % 60 else 0)
    )


def login_attempt(*, request: HttpRequest | None, username: str, password: str) -> LoginResult:
    """Check a password, counting failures per username; lock the name after too many.

    A locked name is refused without checking the password, so guessing cannot go on.
    Unknown names are counted alike, so a lockout does not tell which names exist.
    """
    key = _throttle_key(username)
    throttle = LoginThrottle.objects.filter(username=key).first()
    locked = _lock_remaining_minutes(throttle)
    if locked:
        return LoginResult(user=None, locked_minutes=locked)
    user = authenticate(request, username=username.strip(), password=password)
    if user is not None:
        LoginThrottle.objects.filter(username=key).delete()
        audit.record(actor=user, action=AuditEntry.Action.LOGIN, obj=user)  # type: ignore[arg-type]
        return LoginResult(user=user)  # type: ignore[arg-type]
    target = User.objects.filter(username__iexact=key).first()
    return LoginResult(user=None, locked_minutes=_count_failure(key, target))


def _count_failure(key: str, target: User | None) -> int:
    """Count one wrong password for ``key``; lock it after too many. Returns the lock's minutes."""
    with transaction.atomic():
        throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(username=key)
        window_start = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        if throttle.last_failure_at and throttle.last_failure_at < window_start:
            throttle.failures = 0
        throttle.failures += 1
        throttle.last_failure_at = timezone.now()
        audit.record(actor=None, action=AuditEntry.Action.LOGIN_FAILED, obj=target, object_repr=key)
        if throttle.failures >= settings.LOGIN_MAX_FAILURES:
            throttle.locked_until = timezone.now() + timedelta(
                minutes=settings.LOGIN_LOCKOUT_MINUTES
            )
            throttle.failures = 0
            audit.record(actor=None, action=AuditEntry.Action.LOCKOUT, obj=target, object_repr=key)
        throttle.save()
    return _lock_remaining_minutes(throttle)


def _throttle_key(username: str) -> str:
    return username.strip().lower()[:150]


def verify_current_password(*, user: User, password: str) -> None:
    """Check that ``user`` knows their password before a sensitive change, counted like logins.

    Wrong answers count towards the same lock as failed logins for the user's name, so a stolen
    session cannot be used to guess the password either. Raises :class:`TooManyAttemptsError`
    (429) while locked, :class:`DomainError` on ``current_password`` when wrong. Runs outside
    any transaction of the change, so a refused attempt still counts.
    """
    key = _throttle_key(user.username)
    locked = _lock_remaining_minutes(LoginThrottle.objects.filter(username=key).first())
    if locked:
        raise TooManyAttemptsError(locked)
    if password and user.check_password(password):
        LoginThrottle.objects.filter(username=key).delete()
        return
    locked = _count_failure(key, user)
    if locked:
        raise TooManyAttemptsError(locked)
    wrong = _("The current password is wrong.")
    raise DomainError(wrong, fields={"current_password": [wrong]})


# --- Users ---------------------------------------------------------------------------------------
def _require(actor: User, entity: str, action: str) -> None:
    if not access.has_any(actor, entity, action):
        raise ForbiddenError()


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise DomainError(
            _("Choose a stronger password."), fields={"password": list(error.messages)}
        ) from None


def _set_roles(user: User, roles: list[Role] | None) -> None:
    if roles is not None:
        user.roles.set(roles)
        access.forget_grants(user)


#: What anyone may change about themself; the rest of a person needs users.edit or users.assign.
SELF_SERVICE_FIELDS = frozenset({"first_name", "last_name", "phone", "language"})
#: Governed by users.assign (with roles and teams): who someone is in the company's access model.
ASSIGNED_FIELDS = frozenset({"branch", "is_active"})


def _check_hand_out(actor: User, roles: set[Role], errors: dict[str, list[str]]) -> None:
    for role in sorted(roles, key=lambda r: r.code):
        if not rights.may_hand_out(actor, role):
            errors.setdefault("roles", []).append(
                _("The role “%(role)s” holds rights you do not have: you may not give or take it.")
                % {"role": role}
            )


def _check_teams(
    actor: User, target_pk: int | None, teams: set[Team], errors: dict[str, list[str]]
) -> None:
    for team in sorted(teams, key=lambda t: t.pk):
        if not access.can_place(
            actor, User, "assign", owner_id=target_pk, branch_id=team.branch_id
        ):
            errors.setdefault("teams", []).append(
                _("You may not change membership of the team “%(team)s”.") % {"team": team}
            )


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        error = ForbiddenError(
            " ".join(message for messages in errors.values() for message in messages)
        )
        error.fields = errors
        raise error


def check_user_change(
    *,
    actor: User,
    user: User,
    values: dict[str, Any],
    roles: list[Role] | None = None,
    teams: list[Team] | None = None,
) -> None:
    """Refuse a change to ``user`` that ``actor`` may not make; changing nothing is always allowed.

    - name, phone, language of oneself: anyone;
    - username, email, and others' profile fields: users.edit on the person;
    - roles, teams, branch, active flag (also one's own): users.assign on the person, then only
      roles within the actor's own rights (given or taken away), teams and a branch within the
      actor's assign scope;
    - nobody but a peer or better changes a person who holds rights the actor lacks.
    Others' records the actor may not edit answer 404; the rest 403.
    """
    changed = {name for name, value in values.items() if getattr(user, name) != value}
    held_roles = set(user.roles.all()) if user.pk else set()
    role_change = (set(roles) ^ held_roles) if roles is not None else set()
    held_teams = set(user.teams.all()) if user.pk else set()
    team_change = (set(teams) ^ held_teams) if teams is not None else set()
    assigning = bool(changed & ASSIGNED_FIELDS or role_change or team_change)
    profile = changed - ASSIGNED_FIELDS
    myself = actor.pk == user.pk
    if profile and not (myself and profile <= SELF_SERVICE_FIELDS):
        if not access.can(actor, "edit", user):
            if myself:
                raise ForbiddenError(_("You may change only your name, phone and language."))
            raise NotFoundError()
    if assigning and not access.can(actor, "assign", user):
        raise ForbiddenError(
            _("Your role does not allow changing roles, teams, branch or the active flag.")
        )
    if (profile or assigning) and not myself and rights.outranks(user, actor):
        raise ForbiddenError(
            _("%(name)s holds rights you do not have: only their peers may change them.")
            % {"name": user}
        )
    errors: dict[str, list[str]] = {}
    _check_hand_out(actor, role_change, errors)
    if "branch" in changed and not access.can_place(
        actor, User, "assign", owner_id=user.pk, branch_id=values["branch"].pk
    ):
        errors["branch"] = [_("You may not move people to this branch.")]
    _check_teams(actor, user.pk, team_change, errors)
    _refuse(errors)


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    branch: Branch,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str = "ru",
    roles: list[Role] | None = None,
    teams: list[Team] | None = None,
    is_superuser: bool = False,
    phone: str = "",
) -> User:
    """Create a user. ``actor`` None is the command line (createadmin, demo).

    The actor needs users.create covering the branch, and users.assign there to give roles (only
    within their own rights) or teams.
    """
    if actor is not None:
        _require(actor, "users", "create")
        if not access.can_place(actor, User, "create", owner_id=None, branch_id=branch.pk):
            raise DomainError(fields={"branch": [_("You may not add people to this branch.")]})
        if (roles or teams) and not access.can_place(
            actor, User, "assign", owner_id=None, branch_id=branch.pk
        ):
            raise ForbiddenError(
                _("Your role does not allow changing roles, teams, branch or the active flag.")
            )
        errors: dict[str, list[str]] = {}
        _check_hand_out(actor, set(roles or []), errors)
        _check_teams(actor, None, set(teams or []), errors)
        _refuse(errors)
        is_superuser = is_superuser and actor.is_superuser
    if User.objects.filter(username__iexact=username.strip()).exists():
        raise DomainError(
            _("This username is taken."), fields={"username": [_("This username is taken.")]}
        )
    user = User(
        username=username.strip(),
        first_name=first_name,
        last_name=last_name,
        email=email,
        branch=branch,
        language=language,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        phone=phone,
    )
    _validate_password(password, user)
    user.set_password(password)
    try:
        user.full_clean()
    except ValidationError as error:
        raise DomainError(fields=error.message_dict) from None
    with transaction.atomic():
        user.save()
        _set_roles(user, roles)
        if teams is not None:
            user.teams.set(teams)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=user,
            changes={
                **{
                    k: [None, v]
                    for k, v in audit.snapshot(user, USER_AUDITED_FIELDS).items()
                    if v not in (None, "")
                },
                "roles": [None, sorted(role.name for role in roles or [])],
            },
        )
    return user


def user_update(
    *,
    actor: User,
    user: User,
    version: int,
    values: dict[str, Any],
    roles: list[Role] | None = None,
    teams: list[Team] | None = None,
    password: str | None = None,
    current_password: str | None = None,
) -> User:
    """Edit a user; roles and teams replace the old sets. Stale ``version`` → conflict.

    Who may change what: :func:`check_user_change`. A new ``password`` follows
    :func:`user_change_password`'s rules; everything is refused before anything is written.
    """
    check_user_change(actor=actor, user=user, values=values, roles=roles, teams=teams)
    if password:
        _check_password_change(actor=actor, user=user, current_password=current_password)
        _validate_password(password, user)
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        if current.version != version:
            raise ConflictError(
                current_version=current.version, changes=audit.changes_since(current, version)
            )
        before = {
            **audit.snapshot(current, USER_AUDITED_FIELDS),
            "roles": sorted(r.name for r in current.roles.all()),
        }
        for name, value in values.items():
            setattr(current, name, value)
        try:
            current.full_clean(exclude=["password"])
        except ValidationError as error:
            raise DomainError(fields=error.message_dict) from None
        current.version = F("version") + 1  # type: ignore[assignment]
        current.save()
        current.refresh_from_db()
        _set_roles(current, roles)
        if teams is not None:
            current.teams.set(teams)
        if before["is_active"] and not current.is_active:
            # Deactivation ends programs' access at once; browser sessions end on next request.
            _revoke_tokens(current)
        after = {
            **audit.snapshot(current, USER_AUDITED_FIELDS),
            "roles": sorted(r.name for r in current.roles.all()),
        }
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=current,
            changes=audit.diff(before, after),
        )
        if password:
            _set_password(actor=actor, user=current, new_password=password)
    return current


def _revoke_tokens(user: User) -> None:
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _check_password_change(*, actor: User, user: User, current_password: str | None) -> None:
    if actor.pk == user.pk:
        verify_current_password(user=user, password=current_password or "")
        return
    if not access.can(actor, "edit", user):
        raise NotFoundError()
    if rights.outranks(user, actor):
        raise ForbiddenError(
            _("%(name)s holds rights you do not have: only their peers may change them.")
            % {"name": user}
        )


def _set_password(*, actor: User, user: User, new_password: str) -> None:
    # The new hash changes the session auth hash, so Django ends every other browser session of
    # the user on its next request; programs' tokens are revoked here. The caller keeps its own
    # page session with update_session_auth_hash.
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _revoke_tokens(user)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=user,
        changes={"password": ["•••", "•••"]},
    )


def user_change_password(
    *, actor: User, user: User, new_password: str, current_password: str | None = None
) -> None:
    """Set a new password: one's own with the current one (throttled like logins), someone
    else's with users.edit on them (an administrator's reset). Ends the user's other sessions
    and revokes their API tokens."""
    _check_password_change(actor=actor, user=user, current_password=current_password)
    _validate_password(new_password, user)
    with transaction.atomic():
        _set_password(actor=actor, user=user, new_password=new_password)


# --- Roles ---------------------------------------------------------------------------------------
def role_save(
    *,
    actor: User,
    role: Role | None,
    name: str,
    code: str,
    description: str,
    cells: dict[tuple[str, str], str],
    version: int | None = None,
) -> Role:
    """Create a role or replace a role's grant table; every changed cell is audited."""
    _require(actor, "roles", "edit" if role else "create")
    errors: dict[str, list[str]] = {}
    for (entity, action), scope in cells.items():
        if not rights.is_meaningful(entity, action, scope):
            errors[f"{entity}.{action}"] = [_("This right means nothing with this scope.")]
    if errors:
        raise DomainError(fields=errors)
    # Nobody hands out more than they have: neither a new cell wider than the actor's own, nor a
    # change to a role that already holds more (taking it from its holders is handing it out).
    if role is not None and rights.exceeding(actor, rights.cells_of_roles([role])):
        raise ForbiddenError(
            _("This role holds rights you do not have: only their holders may change it.")
        )
    for entity, action in rights.exceeding(actor, cells):
        errors[f"{entity}.{action}"] = [_("Wider than your own right: you may not grant it.")]
    if errors:
        raise DomainError(fields=errors)
    with transaction.atomic():
        if role is None:
            if Role.objects.filter(code=code).exists():
                raise DomainError(fields={"code": [_("This code is taken.")]})
            role = Role.objects.create(code=code, name=name, description=description)
            before: dict[str, Any] = {}
            action_done = AuditEntry.Action.CREATE
        else:
            current = Role.objects.select_for_update().get(pk=role.pk)
            if version is not None and current.version != version:
                raise ConflictError(
                    current_version=current.version, changes=audit.changes_since(current, version)
                )
            before = {
                "name": current.name,
                "description": current.description,
                **{f"{g.entity}.{g.action}": g.scope for g in current.grants.all()},
            }
            # A built-in role's name and description are shown translated: sent back unchanged,
            # they stay the shipped (English) text every reader sees in their own language.
            if current.is_builtin and name == current.display_name:
                name = current.name
            if current.is_builtin and description == current.display_description:
                description = current.description
            Role.objects.filter(pk=role.pk).update(
                name=name, description=description, version=F("version") + 1
            )
            role = Role.objects.get(pk=role.pk)
            action_done = AuditEntry.Action.UPDATE
        role.grants.all().delete()
        RoleGrant.objects.bulk_create(
            RoleGrant(role=role, entity=entity, action=action, scope=scope)
            for (entity, action), scope in sorted(cells.items())
        )
        after = {
            "name": name,
            "description": description,
            **{f"{e}.{a}": s for (e, a), s in cells.items()},
        }
        audit.record(actor=actor, action=action_done, obj=role, changes=audit.diff(before, after))
    return role


# --- Branches and teams --------------------------------------------------------------------------
def branch_save(*, actor: User, branch: Branch | None, name: str, city: str) -> Branch:
    _require(actor, "branches", "edit" if branch else "create")
    with transaction.atomic():
        if branch is None:
            if Branch.objects.filter(name=name).exists():
                raise DomainError(fields={"name": [_("A branch with this name exists.")]})
            branch = Branch.objects.create(name=name, city=city)
            audit.record(
                actor=actor,
                action=AuditEntry.Action.CREATE,
                obj=branch,
                changes={"name": [None, name], "city": [None, city]},
            )
        else:
            before = {"name": branch.name, "city": branch.city}
            branch.name, branch.city = name, city
            branch.save(update_fields=["name", "city"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=branch,
                changes=audit.diff(before, {"name": name, "city": city}),
            )
    return branch


def team_save(
    *, actor: User, team: Team | None, name: str, branch: Branch, members: list[User]
) -> Team:
    _require(actor, "branches", "edit")
    # Team membership widens "team"-scoped rights, so it is an assignment like roles are.
    held = set(team.members.all()) if team is not None else set()
    for person in sorted(held ^ set(members), key=lambda p: p.pk):
        if not access.can(actor, "assign", person) or rights.outranks(person, actor):
            raise ForbiddenError(_("You may not change the teams of %(name)s.") % {"name": person})
    with transaction.atomic():
        before: dict[str, Any] = {}
        if team is None:
            team = Team.objects.create(name=name, branch=branch)
        else:
            before = {
                "name": team.name,
                "branch": str(team.branch),
                "members": sorted(str(m) for m in team.members.all()),
            }
            team.name, team.branch = name, branch
            team.save()
        team.members.set(members)
        after = {"name": name, "branch": str(branch), "members": sorted(str(m) for m in members)}
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE if before else AuditEntry.Action.CREATE,
            obj=team,
            changes=audit.diff(before, after),
        )
    return team


# --- API tokens ----------------------------------------------------------------------------------
def token_create(*, actor: User | None, user: User, name: str, days: int | None = None) -> str:
    """Make a token for ``user`` and return it in plain text: the only time it exists so."""
    if actor is not None and actor.pk != user.pk:
        if not access.can(actor, "edit", user):
            raise NotFoundError()
        if rights.outranks(user, actor):  # a token for someone who holds more is a takeover
            raise ForbiddenError(
                _("%(name)s holds rights you do not have: only their peers may change them.")
                % {"name": user}
            )
    key = "kt_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name=name or _("API token"),
        prefix=key[:10],
        key_hash=ApiToken.hash_key(key),
        expires_at=timezone.now() + timedelta(days=days or settings.API_TOKEN_DAYS),
    )
    return key


def token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and not access.can(actor, "edit", token.user):
        raise NotFoundError()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
