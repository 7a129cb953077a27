from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kartoteka.accounts.models import Branch, Team, User
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access
from kartoteka.core.inn import validate_inn
from kartoteka.core.phones import normalize_phone


def picker(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return cast(forms.ModelChoiceField, form.fields[name])  # type: ignore[type-arg]


class RecordForm(forms.ModelForm):  # type: ignore[type-arg]
    """Common to company and contact forms: version for optimistic locking, scoped pickers."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        editing = self.instance.pk is not None
        may_assign = access.can(actor, "assign", self.instance) if editing else True
        # Pickers list only people and branches the user can see (relation pickers are scoped).
        picker(self, "owner").queryset = access.scoped(
            User.objects.filter(is_active=True), actor, "view"
        ).select_related("branch")
        self.fields["owner"].required = False
        picker(self, "branch").queryset = Branch.objects.filter(is_active=True)
        self.fields["branch"].required = False
        if not may_assign:
            self.fields["owner"].disabled = True
            self.fields["branch"].disabled = True
        if editing:
            self.fields["version"].initial = self.instance.version

    def clean_phone(self) -> str:
        # The service normalises again; this only lets the form name every bad field at once.
        try:
            return normalize_phone(str(self.cleaned_data.get("phone") or ""))
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def service_values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}  # type: ignore[attr-defined]
        for name in ("owner", "branch"):
            if self.fields[name].disabled or values.get(name) is None:
                values.pop(name, None)
        return values


class CompanyForm(RecordForm):
    class Meta:
        model = Company
        fields = ("name", "inn", "phone", "email", "owner", "branch")
        widgets = {
            "phone": forms.TextInput(attrs={"inputmode": "tel", "placeholder": "+7 916 123-45-67"})
        }

    def clean_inn(self) -> str:
        # The service checks again; checking here names every bad field in one answer.
        inn = str(self.cleaned_data.get("inn") or "").replace(" ", "")
        validate_inn(inn)
        return inn

    def _post_clean(self) -> None:
        # Validation is the service's job (it also normalises the phone), so skip model checks.
        pass


class ContactForm(RecordForm):
    class Meta:
        model = Contact
        fields = (
            "last_name",
            "first_name",
            "middle_name",
            "company",
            "phone",
            "email",
            "owner",
            "branch",
        )
        widgets = {
            "phone": forms.TextInput(attrs={"inputmode": "tel", "placeholder": "+7 916 123-45-67"})
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        picker(self, "company").queryset = access.scoped(
            Company.objects.all(), actor, "view"
        ).order_by("name")

    def _post_clean(self) -> None:
        pass


class ShareForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("User"))
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label=_("Team"))
    branch = forms.ModelChoiceField(
        queryset=Branch.objects.filter(is_active=True), required=False, label=_("Branch")
    )
    until = forms.DateField(
        required=False, label=_("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        picker(self, "user").queryset = User.objects.filter(is_active=True).select_related("branch")
        picker(self, "team").queryset = Team.objects.select_related("branch")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [name for name in ("user", "team", "branch") if data.get(name)]
        if len(chosen) != 1:
            raise forms.ValidationError(_("Choose exactly one: a user, a team or a branch."))
        return data
