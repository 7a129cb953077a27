from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.accounts.models import (
    LANGUAGE_CHOICES,
    Action,
    Branch,
    Entity,
    Role,
    Scope,
    Team,
    User,
)


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

    def clean_old_password(self) -> str:
        value = str(self.cleaned_data["old_password"])
        if not self.user.check_password(value):
            raise forms.ValidationError(_("The current password is wrong."))
        return value

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
        label=_("Branch"), queryset=Branch.objects.filter(is_active=True)
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.select_related("branch"), required=False
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"), queryset=Role.objects.all(), required=False
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

    def __init__(self, *args: Any, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["password"].help_text = _("Leave empty to keep the current password.")
        else:
            self.fields["password"].required = True
            del self.fields["is_active"]


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(label=_("Code"), max_length=50)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    SCOPE_CHOICES = [("", "—"), *Scope.choices]

    def __init__(self, *args: Any, role: Role | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = {(g.entity, g.action): g.scope for g in role.grants.all()} if role else {}
        for entity in Entity.values:
            for action in Action.values:
                self.fields[f"grant__{entity}__{action}"] = forms.ChoiceField(
                    choices=self.SCOPE_CHOICES,
                    required=False,
                    initial=current.get((entity, action), ""),
                    label=f"{Entity(entity).label}: {Action(action).label}",
                )
        if role is not None:
            self.fields["code"].disabled = True

    def grid(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (
                str(Entity(entity).label),
                [self[f"grant__{entity}__{action}"] for action in Action.values],
            )
            for entity in Entity.values
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
    )
