"""Login, profile, and the administrators' pages for users, roles, branches and teams."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.accounts import preferences, queries, services
from kartoteka.accounts.forms import (
    BranchForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    RoleForm,
    TeamForm,
    TokenForm,
    UserForm,
)
from kartoteka.accounts.middleware import mark_login
from kartoteka.accounts.models import User
from kartoteka.core import access, audit, audit_text, notifications
from kartoteka.core.errors import DomainError, NotFoundError, TooManyAttemptsError
from kartoteka.core.web import apply_domain_error, signed_in


def _require(request: HttpRequest, entity: str, action: str) -> None:
    if not access.has_any(signed_in(request), entity, action):
        raise Http404


# --- Login ---------------------------------------------------------------------------------------
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = services.login_attempt(
            request=request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if result.user is not None:
            login(request, result.user)
            mark_login(request)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = ""
            return redirect(target or "home")
        if result.locked_minutes:
            status = 429
            form.add_error(
                None,
                _("Too many failed attempts. Try again in %(minutes)d min.")
                % {"minutes": result.locked_minutes},
            )
        else:
            status = 401
            form.add_error(None, _("Wrong username or password."))
    return render(request, "accounts/login.html", {"form": form}, status=status)


def set_language(request: HttpRequest, code: str) -> HttpResponse:
    """The login page's language switch; signed-in users choose theirs in the profile."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    response = redirect("accounts:login")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


# --- Profile -------------------------------------------------------------------------------------
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    me: User = signed_in(request)
    language_form = LanguageForm(initial={"language": me.language, "version": me.version})
    password_form = PasswordChangeForm(user=me)
    token_form = TokenForm()
    new_token = ""
    status = 200
    form_name = request.POST.get("form") if request.method == "POST" else None
    try:
        if form_name == "language":
            language_form = LanguageForm(request.POST)
            if language_form.is_valid():
                services.user_update(
                    actor=me,
                    user=me,
                    version=language_form.cleaned_data["version"],
                    values={"language": language_form.cleaned_data["language"]},
                )
                return redirect("accounts:profile")
        elif form_name == "password":
            password_form = PasswordChangeForm(request.POST, user=me)
            if password_form.is_valid():
                services.user_change_password(
                    actor=me,
                    user=me,
                    new_password=password_form.cleaned_data["new_password"],
                    current_password=password_form.cleaned_data["old_password"],
                )
                # Other sessions end with the old password; this one carries on.
                update_session_auth_hash(request, me)
                messages.success(request, _("Password changed."))
                return redirect("accounts:profile")
        elif form_name == "notifications":
            notifications.set_channels(
                user=me,
                chosen={
                    kind.code: [
                        channel
                        for channel in notifications.CHANNELS
                        if request.POST.get(f"{kind.code}:{channel}") == "on"
                    ]
                    for kind in notifications.kinds()
                },
            )
            messages.success(request, _("Notification settings saved."))
            return redirect("accounts:profile")
        elif form_name == "token":
            token_form = TokenForm(request.POST)
            if token_form.is_valid():
                new_token = services.token_create(
                    actor=me,
                    user=me,
                    name=token_form.cleaned_data["name"],
                    days=token_form.cleaned_data["days"],
                )
                token_form = TokenForm()
    except DomainError as error:
        target = password_form if form_name == "password" else language_form
        if "password" in error.fields:
            error.fields["new_password"] = error.fields.pop("password")
        if "current_password" in error.fields:
            error.fields["old_password"] = error.fields.pop("current_password")
        if isinstance(error, TooManyAttemptsError):
            status = 429
        conflict = apply_domain_error(target, error)
        if conflict:
            messages.error(request, conflict["message"])
            return redirect("accounts:profile")
    if form_name and not new_token and status == 200:
        status = 422
    return render(
        request,
        "accounts/profile.html",
        {
            "language_form": language_form,
            "password_form": password_form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": queries.tokens_of(me),
            "notification_rows": notifications.preference_table(me),
            "channels": notifications.CHANNELS,
        },
        status=status,
    )


@login_required
@require_POST
def density(request: HttpRequest) -> HttpResponse:
    """The lists' row density, from a list's toggle or the profile; back to where it was set."""
    try:
        preferences.user_set_density(
            user=signed_in(request), density=request.POST.get("density", "")
        )
    except DomainError as error:
        messages.error(request, "; ".join(m for ms in error.fields.values() for m in ms))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "accounts:profile"
    elif "density=" in target:
        # The toggle wins over a saved view's density on the page it was used on.
        parts = urlsplit(target)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "density"]
        target = parts.path + (f"?{urlencode(query)}" if query else "")
    return redirect(target)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = queries.tokens_of(signed_in(request)).filter(pk=pk).first()
    if token is None:
        raise Http404
    services.token_revoke(actor=signed_in(request), token=token)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


# --- Settings: users -----------------------------------------------------------------------------
@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/settings.html", {"section": "settings"})


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require(request, "users", "view")
    return render(
        request,
        "accounts/user_list.html",
        {
            "users": queries.users(signed_in(request)),
            "may_create": access.has_any(signed_in(request), "users", "create"),
            "section": "settings",
        },
    )


@login_required
def user_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor: User = signed_in(request)
    try:
        target = queries.user(actor, pk) if pk is not None else None
    except NotFoundError:
        raise Http404 from None
    if target is None:
        _require(request, "users", "create")
    elif not (access.can(actor, "edit", target) or access.can(actor, "assign", target)):
        raise Http404
    initial: dict[str, Any] = {"language": settings.LANGUAGE_CODE}
    if target is not None:
        initial = {
            "username": target.username,
            "first_name": target.first_name,
            "last_name": target.last_name,
            "email": target.email,
            "phone": target.phone,
            "branch": target.branch_id,
            "teams": [team.pk for team in target.teams.all()],
            "roles": [role.pk for role in target.roles.all()],
            "language": target.language,
            "is_active": target.is_active,
            "version": target.version,
        }
    form = UserForm(request.POST or None, initial=initial, actor=actor, target=target)
    conflict = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if target is None:
                saved = services.user_create(
                    actor=actor,
                    username=data["username"],
                    password=data["password"],
                    branch=data["branch"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    language=data["language"],
                    roles=list(data["roles"]),
                    teams=list(data["teams"]),
                    phone=data["phone"],
                )
            else:
                values = {
                    k: data[k]
                    for k in (
                        "username",
                        "first_name",
                        "last_name",
                        "email",
                        "phone",
                        "branch",
                        "language",
                        "is_active",
                    )
                }
                saved = services.user_update(
                    actor=actor,
                    user=target,
                    version=data["version"] or 0,
                    values=values,
                    roles=list(data["roles"]),
                    teams=list(data["teams"]),
                    password=data["password"] or None,
                    current_password=data.get("current_password"),
                )
                if data["password"] and saved.pk == actor.pk:
                    update_session_auth_hash(request, saved)
            messages.success(request, _("User “%(name)s” saved.") % {"name": saved})
            return redirect("accounts:user-list")
        except DomainError as error:
            if isinstance(error, TooManyAttemptsError):
                status = 429
            conflict = apply_domain_error(form, error)
    if status == 200:
        status = 409 if conflict else (422 if request.method == "POST" else 200)
    return render(
        request,
        "accounts/user_form.html",
        {
            "form": form,
            "target": target,
            "conflict": conflict,
            "section": "settings",
            "history": audit_text.describe(audit.entries_for(target)[:30]) if target else [],
        },
        status=status,
    )


# --- Settings: roles -----------------------------------------------------------------------------
@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    _require(request, "roles", "view")
    return render(
        request,
        "accounts/role_list.html",
        {
            "roles": queries.roles(),
            "section": "settings",
            "may_edit": access.has_any(signed_in(request), "roles", "edit"),
        },
    )


@login_required
def role_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, "roles", "edit" if pk else "create")
    try:
        role = queries.role(pk) if pk is not None else None
    except NotFoundError:
        raise Http404 from None
    initial = (
        {
            "name": role.display_name,
            "code": role.code,
            "description": role.display_description,
            "version": role.version,
        }
        if role
        else {}
    )
    form = RoleForm(request.POST or None, initial=initial, role=role)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.role_save(
                actor=signed_in(request),
                role=role,
                name=form.cleaned_data["name"],
                code=role.code if role else form.cleaned_data["code"],
                description=form.cleaned_data["description"],
                cells=form.cells(),
                version=form.cleaned_data.get("version"),
            )
            messages.success(request, _("Role saved."))
            return redirect("accounts:role-list")
        except DomainError as error:
            # The service names cells "entity.action"; the form's fields are grant__entity__action.
            error.fields = {
                ("grant__" + name.replace(".", "__") if "." in name else name): messages_
                for name, messages_ in error.fields.items()
            }
            conflict = apply_domain_error(form, error)
    status = 409 if conflict else (422 if request.method == "POST" else 200)
    return render(
        request,
        "accounts/role_form.html",
        {
            "form": form,
            "role": role,
            "conflict": conflict,
            "section": "settings",
        },
        status=status,
    )


# --- Settings: branches and teams ----------------------------------------------------------------
@login_required
def branch_list(request: HttpRequest) -> HttpResponse:
    _require(request, "branches", "view")
    branch_form = BranchForm(prefix="branch")
    team_form = TeamForm(prefix="team")
    if request.method == "POST":
        try:
            if "branch-name" in request.POST:
                branch_form = BranchForm(request.POST, prefix="branch")
                if branch_form.is_valid():
                    services.branch_save(
                        actor=signed_in(request), branch=None, **branch_form.cleaned_data
                    )
                    messages.success(request, _("Branch added."))
                    return redirect("accounts:branch-list")
            else:
                team_form = TeamForm(request.POST, prefix="team")
                if team_form.is_valid():
                    services.team_save(
                        actor=signed_in(request),
                        team=None,
                        name=team_form.cleaned_data["name"],
                        branch=team_form.cleaned_data["branch"],
                        members=list(team_form.cleaned_data["members"]),
                    )
                    messages.success(request, _("Team added."))
                    return redirect("accounts:branch-list")
        except DomainError as error:
            apply_domain_error(branch_form if "branch-name" in request.POST else team_form, error)
    return render(
        request,
        "accounts/branch_list.html",
        {
            "branches": queries.branches(),
            "branch_form": branch_form,
            "team_form": team_form,
            "may_edit": access.has_any(signed_in(request), "branches", "edit"),
            "section": "settings",
        },
        status=422 if request.method == "POST" else 200,
    )
