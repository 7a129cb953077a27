from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from kartoteka.accounts import rights
from kartoteka.accounts.models import (
    LANGUAGE_CHOICES,
    Action,
    Branch,
    Role,
    Scope,
    Team,
    User,
)
from kartoteka.accounts.services import SELF_SERVICE_FIELDS
from kartoteka.core import access, kinds


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    version = forms.IntegerField(widget=forms.HiddenInput)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    # The current password is checked by the service, which throttles wrong answers like logins.

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two passwords differ."))
        return data


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What will use it, e.g. “1C exchange”.")
    )
    days = forms.IntegerField(label=_("Valid for, days"), min_value=1, max_value=3650, initial=365)


class UserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    branch = forms.ModelChoiceField(
        label=_("Branch"),
        queryset=Branch.objects.filter(is_active=True),
        widget=forms.Select(attrs={"data-picker": "branches"}),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.select_related("branch"),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-picker": "teams"}),
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-picker": "roles"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    is_active = forms.BooleanField(
        label=pgettext_lazy("user", "Active"), required=False, initial=True
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    PROFILE = ("username", "first_name", "last_name", "email", "phone", "language", "password")
    ASSIGNED = ("branch", "teams", "roles", "is_active")

    def __init__(self, *args: Any, actor: User, target: User | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Offer only roles the actor may hand out, plus those the person holds already.
        offered = {role.pk for role in rights.grantable_roles(actor)}
        if target is not None:
            offered |= {role.pk for role in target.roles.all()}
        roles = cast(forms.ModelMultipleChoiceField, self.fields["roles"])  # type: ignore[type-arg]
        roles.queryset = Role.objects.filter(pk__in=offered)
        if target is None:
            self.fields["password"].required = True
            del self.fields["is_active"]
            return
        self.fields["password"].help_text = _("Leave empty to keep the current password.")
        myself = target.pk == actor.pk
        peer = myself or not rights.outranks(target, actor)
        # What the actor may not change is shown disabled: the form then keeps the stored value.
        if not (peer and access.can(actor, "assign", target)):
            for name in self.ASSIGNED:
                self.fields[name].disabled = True
        if not (peer and access.can(actor, "edit", target)):
            for name in self.PROFILE:
                if not (myself and name in SELF_SERVICE_FIELDS):
                    self.fields[name].disabled = True
            if myself:
                del self.fields["password"]  # one's own password changes on the profile page
        if myself and "password" in self.fields:
            self.fields["current_password"] = forms.CharField(
                label=_("Your current password"),
                strip=False,
                required=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                help_text=_("Needed to change your own password."),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data.setdefault("password", "")
        return data


_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch _ y _ e iu ia".split(),
        strict=True,
    )
)


def unidecode_name(text: str) -> str:
    """A Russian name in Latin letters, for a code made from it ("Старший менеджер")."""
    return "".join(_LATIN.get(ch, ch) for ch in text.lower()).replace("_", "")


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    # An internal name people never need to read: made from the name when left out.
    code = forms.SlugField(label=_("Code"), max_length=50, required=False, widget=forms.HiddenInput)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, role: Role | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {(g.entity, g.action): g.scope for g in role.grants.all()} if role else {}
        labels = dict(Scope.choices)
        # Only the cells the code enforces, each with only the scopes that mean something there;
        # one row per registered entity (record kinds bring their own).
        self.entities = kinds.entities()
        for entity in self.entities:
            for action in Action.values:
                scopes = rights.scopes_of(entity.code, action)
                if not scopes:
                    continue
                self.fields[f"grant__{entity.code}__{action}"] = forms.ChoiceField(
                    choices=[
                        ("", pgettext("scope", "none")),
                        *[(scope, labels[scope]) for scope in scopes],
                    ],
                    required=False,
                    initial=current.get((entity.code, action), ""),
                    label=f"{capfirst(entity.label)}: {Action(action).label}",
                )
                # The grid shows no <label>: the select names its cell itself.
                self.fields[f"grant__{entity.code}__{action}"].widget.attrs["aria-label"] = (
                    f"{capfirst(entity.label)}: {Action(action).label}"
                )
        if role is not None:
            self.fields["code"].disabled = True

    def clean_code(self) -> str:
        code = str(self.cleaned_data.get("code") or "")
        if code or self.fields["code"].disabled:
            return code
        base = slugify(unidecode_name(str(self.data.get("name") or ""))) or "role"
        candidate, number = base[:40], 2
        while Role.objects.filter(code=candidate).exists():
            candidate, number = f"{base[:40]}-{number}", number + 1
        return candidate

    def columns(self) -> list[str]:
        """The grid's column titles: one per action."""
        return [str(capfirst(label)) for label in Action.labels]

    def grid(self) -> list[tuple[str, list[tuple[str, forms.BoundField | None]]]]:
        """One row per entity, one (column title, cell) per action; the cell is None where it
        means nothing. On a phone each row becomes a card whose cells carry their title."""
        titles = self.columns()
        return [
            (
                str(capfirst(entity.label)),
                [
                    (
                        title,
                        self[f"grant__{entity.code}__{action}"]
                        if f"grant__{entity.code}__{action}" in self.fields
                        else None,
                    )
                    for title, action in zip(titles, Action.values, strict=True)
                ],
            )
            for entity in self.entities
        ]

    def cells(self) -> dict[tuple[str, str], str]:
        cells = {}
        for name, value in self.cleaned_data.items():
            if name.startswith("grant__") and value:
                _prefix, entity, action = name.split("__")
                cells[(entity, action)] = value
        return cells


class BranchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    city = forms.CharField(label=_("City"), max_length=100, required=False)


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.filter(is_active=True)
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        required=False,
        queryset=User.objects.filter(is_active=True).select_related("branch"),
        widget=forms.SelectMultiple(attrs={"data-picker": "users"}),
    )
