from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.accounts.models import Branch, User
from kartoteka.clients.fields import COMPANY_FIELDS, CONTACT_FIELDS
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.models.channels import EmailKind, MessengerKind, PhoneKind
from kartoteka.clients.models.relation import Relation
from kartoteka.clients.services.channels import messenger_handle
from kartoteka.core import access, kinds
from kartoteka.core.inn import validate_inn, validate_kpp, validate_ogrn
from kartoteka.core.phones import normalize_phone
from kartoteka.core.widgets import RemoteSelect
from kartoteka.records.models import CustomField, Tag
from kartoteka.records.models.custom_fields import FieldType

CUSTOM_PREFIX = "cf_"


def picker(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return cast(forms.ModelChoiceField, form.fields[name])  # type: ignore[type-arg]


def custom_form_field(field: CustomField) -> forms.Field:
    """A form field for a custom field; the service checks the value again by type."""
    common: dict[str, Any] = {"label": field.label, "required": False}
    if field.type == FieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in field.choices]], **common)
    if field.type == FieldType.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in field.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if field.type == FieldType.BOOLEAN:
        return forms.ChoiceField(
            choices=[("", "—"), ("true", _("yes")), ("false", _("no"))], **common
        )
    if field.type == FieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.type == FieldType.LINK:
        return forms.CharField(widget=forms.URLInput, **common)
    if field.type in (FieldType.NUMBER, FieldType.MONEY):
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    return forms.CharField(**common)


class RecordForm(forms.ModelForm):  # type: ignore[type-arg]
    """Common to company and contact forms: version, scoped pickers, tags, custom fields."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(), required=False, label=_("Tags")
    )
    entity = ""

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        editing = self.instance.pk is not None
        may_assign = access.can(actor, "assign", self.instance) if editing else True
        # Pickers list only people the user can see (relation pickers are scoped).
        picker(self, "owner").queryset = access.scoped(
            User.objects.filter(is_active=True), actor, "view"
        ).select_related("branch")
        self.fields["owner"].required = False
        picker(self, "branch").queryset = Branch.objects.filter(is_active=True)
        self.fields["branch"].required = False
        if not may_assign:
            # A disabled picker is still cleaned with its initial value, the record's current
            # owner and branch: offer exactly those, or an owner outside the user's own scope
            # (a colleague's record) fails as "not a valid choice".
            self.fields["owner"].disabled = True
            self.fields["branch"].disabled = True
            picker(self, "owner").queryset = User.objects.filter(
                pk=self.instance.owner_id
            ).select_related("branch")
            picker(self, "branch").queryset = Branch.objects.filter(pk=self.instance.branch_id)
        if editing:
            self.fields["version"].initial = self.instance.version
            self.fields["tags"].initial = list(self.instance.tags.all())
        self.custom = list(CustomField.objects.filter(entity=self.entity))
        for definition in self.custom:
            name = CUSTOM_PREFIX + definition.code
            self.fields[name] = custom_form_field(definition)
            stored = self.instance.custom_fields.get(definition.code) if editing else None
            if stored is not None:
                self.fields[name].initial = (
                    str(stored).lower() if isinstance(stored, bool) else stored
                )

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + definition.code] for definition in self.custom]

    @property
    def main_bound_fields(self) -> list[forms.BoundField]:
        return [
            field for field in self.visible_fields() if not field.name.startswith(CUSTOM_PREFIX)
        ]

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data[name] for name in self.Meta.fields}  # type: ignore[attr-defined]
        for name in ("owner", "branch"):
            if self.fields[name].disabled or values.get(name) is None:
                values.pop(name, None)
        values["tags"] = list(data.get("tags") or [])
        values["custom_fields"] = {
            definition.code: data.get(CUSTOM_PREFIX + definition.code) for definition in self.custom
        }
        return values

    def _post_clean(self) -> None:
        # Model validation is the service's job; it reports every bad field at once.
        pass


def _https_urls(field: models.Field, **kwargs: Any) -> forms.Field | None:  # type: ignore[type-arg]
    # A website typed without a scheme is taken as https://, not http://.
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class CompanyForm(RecordForm):
    entity = "companies"

    class Meta:
        formfield_callback = _https_urls
        model = Company
        # Every field the card edits, in order: the kind's field list says which.
        fields = kinds.names(COMPANY_FIELDS, "form")
        widgets = {
            "legal_address": forms.Textarea(attrs={"rows": 2}),
            "postal_address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "legal_form": forms.TextInput(attrs={"list": "legal-forms", "placeholder": "ООО"}),
        }

    def clean_inn(self) -> str:
        inn = str(self.cleaned_data.get("inn") or "").replace(" ", "")
        validate_inn(inn)
        return inn

    def clean_kpp(self) -> str:
        kpp = str(self.cleaned_data.get("kpp") or "").replace(" ", "")
        validate_kpp(kpp)
        return kpp

    def clean_ogrn(self) -> str:
        ogrn = str(self.cleaned_data.get("ogrn") or "").replace(" ", "")
        validate_ogrn(ogrn)
        return ogrn


class ContactForm(RecordForm):
    entity = "contacts"

    class Meta:
        model = Contact
        fields = kinds.names(CONTACT_FIELDS, "form")
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 2}),
            "preferences": forms.Textarea(attrs={"rows": 3}),
        }


class PhoneRow(forms.Form):
    number = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "placeholder": "+7 916 123-45-67"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PhoneKind.choices, initial=PhoneKind.MOBILE)

    def clean_number(self) -> str:
        # The service normalises again; checking here puts the error beside the row.
        text = str(self.cleaned_data.get("number") or "").strip()
        if text:
            try:
                normalize_phone(text)
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from None
        return text


class EmailRow(forms.Form):
    address = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": "name@example.ru"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=EmailKind.choices, initial=EmailKind.WORK)


class EmploymentRow(forms.Form):
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.none(),
        required=False,
        widget=RemoteSelect(model=Company, search_url="/api/v1/search/", kind="companies"),
    )
    position = forms.CharField(
        label=pgettext_lazy("job", "Position"), required=False, max_length=150
    )

    def __init__(
        self, *args: Any, actor: User, labels: dict[int, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        picker(self, "company").queryset = access.scoped(Company.objects.all(), actor).order_by(
            "name"
        )
        # Names of the companies the form was filled from (read under the access rule): the
        # picker shows them without a query per row. Assigned, never mutated: widgets are
        # copied shallowly from the class's.
        self.fields["company"].widget.labels = dict(labels or {})


class RelatedRow(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    relation = forms.ChoiceField(
        label=_("Relation"), choices=Relation.choices, initial=Relation.SPOUSE
    )
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    anniversary = forms.DateField(
        label=_("Anniversary"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class MessengerRow(forms.Form):
    kind = forms.ChoiceField(
        label=_("Messenger"), choices=MessengerKind.choices, initial=MessengerKind.TELEGRAM
    )
    handle = forms.CharField(
        label=_("Username or number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "@ivanov", "autocomplete": "off"}),
    )

    def clean(self) -> dict[str, Any]:
        # The service checks again; checking here puts the error beside the row.
        data = super().clean() or {}
        text = str(data.get("handle") or "").strip()
        if text and data.get("kind"):
            try:
                data["handle"] = messenger_handle(str(data["kind"]), text)
            except ValidationError as error:
                self.add_error("handle", error.messages[0])
        return data


PhoneFormSet = forms.formset_factory(PhoneRow, extra=1)


class CompanyPhoneRow(PhoneRow):
    """A company's phone is first of all its office line: a new row reads "work"."""

    kind = forms.ChoiceField(label=_("Kind"), choices=PhoneKind.choices, initial=PhoneKind.WORK)


CompanyPhoneFormSet = forms.formset_factory(CompanyPhoneRow, extra=1)
MessengerFormSet = forms.formset_factory(MessengerRow, extra=1)
EmailFormSet = forms.formset_factory(EmailRow, extra=1)
EmploymentFormSet = forms.formset_factory(EmploymentRow, extra=1)
RelatedFormSet = forms.formset_factory(RelatedRow, extra=1)


def rows(formset: forms.BaseFormSet, keys: tuple[str, ...]) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    """The filled-in rows of a valid formset as plain dicts, in order."""
    return [
        {key: form.cleaned_data.get(key) for key in keys}
        for form in formset.forms
        if form.cleaned_data and form.cleaned_data.get(keys[0])
    ]
