from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.accounts.models import Branch, User
from kartoteka.clients.fields import COMPANY_FIELDS, CONTACT_FIELDS
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.models.channels import EmailKind, MessengerKind, PhoneKind
from kartoteka.clients.models.company import CompanyStatus
from kartoteka.clients.models.relation import Relation
from kartoteka.clients.services.channels import messenger_handle
from kartoteka.core import access, kinds
from kartoteka.core.forms import NOT_SELECTED
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
        return forms.ChoiceField(
            choices=[("", NOT_SELECTED), *[(c, c) for c in field.choices]], **common
        )
    if field.type == FieldType.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in field.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if field.type == FieldType.BOOLEAN:
        return forms.ChoiceField(
            choices=[("", NOT_SELECTED), ("true", _("yes")), ("false", _("no"))], **common
        )
    if field.type == FieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.type == FieldType.LINK:
        return forms.CharField(widget=forms.URLInput, **common)
    if field.type in (FieldType.NUMBER, FieldType.MONEY):
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    return forms.CharField(**common)


#: single-valued fields a card edits in place (multi-line texts and lists open the edit form)
INLINE_FIELDS: dict[str, tuple[str, ...]] = {
    "company": (
        "name",
        "legal_form",
        "inn",
        "kpp",
        "ogrn",
        "status",
        "industry",
        "region",
        "city",
        "website",
        "source",
        "owner",
    ),
    "contact": ("last_name", "first_name", "middle_name", "birthday", "owner"),
}


def inline_names(kind: str, actor: User, obj: Any) -> tuple[str, ...]:
    """The fields of ``obj`` that ``actor`` may change in place on its card: none without "edit",
    the owner only with "assign"."""
    if not access.can(actor, "edit", obj):
        return ()
    may_assign = access.can(actor, "assign", obj)
    return tuple(n for n in INLINE_FIELDS[kind] if n != "owner" or may_assign)


#: how the tags picker sends a name typed for a tag that does not exist yet ("new:Поволжье")
NEW_TAG = "new:"


class TagSelect(forms.SelectMultiple):
    """The tags picker: existing tags, plus the new names typed before a failed submit."""

    def optgroups(
        self, name: str, value: list[Any], attrs: dict[str, Any] | None = None
    ) -> list[Any]:
        groups = super().optgroups(name, value, attrs)
        typed = [v for v in value if str(v).startswith(NEW_TAG) and str(v)[len(NEW_TAG) :].strip()]
        if typed:
            options = [
                self.create_option(name, v, v[len(NEW_TAG) :], True, i) for i, v in enumerate(typed)
            ]
            groups.append((None, options, len(groups)))
        return groups


class TagsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Tags picked by id, or named ("new:<name>"): the service finds a tag by that name or
    creates it inside the save's transaction, only if the whole change is valid."""

    def clean(self, value: Any) -> list[Any]:  # type: ignore[override]
        values = [str(v) for v in (self.prepare_value(value) or [])]
        names = [v[len(NEW_TAG) :].strip() for v in values if v.startswith(NEW_TAG)]
        ids = [v for v in values if not v.startswith(NEW_TAG)]
        picked = list(super().clean(ids)) if ids else []
        return picked + [name for name in names if name]


class RecordForm(forms.ModelForm):  # type: ignore[type-arg]
    """Common to company and contact forms: version, scoped pickers, tags, custom fields."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tags = TagsField(
        queryset=Tag.objects.all(),
        required=False,
        label=_("Tags"),
        widget=TagSelect(attrs={"data-picker": "tags", "data-create": NEW_TAG}),
    )
    entity = ""

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        editing = self.instance.pk is not None
        may_assign = (
            access.can(actor, "assign", self.instance)
            if editing
            else access.has_any(actor, self.entity, "assign")
        )
        if not editing:
            # A new record is its creator's (and in their branch) unless they pick another owner:
            # the form says so instead of "Not selected". Without the right to assign, that is
            # the only possible value, shown locked.
            self.instance.owner_id = actor.pk
            self.instance.branch_id = actor.branch_id
            self.initial.setdefault("owner", actor.pk)
            if not may_assign:
                self.initial["branch"] = actor.branch_id
        # Pickers list only people the user can see (relation pickers are scoped).
        picker(self, "owner").queryset = access.scoped(
            User.objects.filter(is_active=True), actor, "view"
        ).select_related("branch")
        self.fields["owner"].required = False
        self.fields["owner"].widget.attrs["data-picker"] = "users"
        picker(self, "branch").queryset = Branch.objects.filter(is_active=True)
        picker(self, "branch").empty_label = _("The owner's branch")
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
            picker(self, "owner").empty_label = picker(self, "branch").empty_label = None
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

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        # Statuses read as the card, the lists and the history write them: "Клиент".
        status = cast(forms.ChoiceField, self.fields["status"])
        status.choices = [(value, capfirst(label)) for value, label in CompanyStatus.choices]

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
    name = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=200)
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


@dataclass
class Section:
    """A titled part of the company or contact form (see :func:`form_sections`)."""

    key: str
    title: str
    column: int  # 1 or 2 on a wide screen
    order: int  # the place in one column on a narrow screen
    fields: list[forms.BoundField] = dc_field(default_factory=list)
    formsets: list[tuple[str, forms.BaseFormSet]] = dc_field(default_factory=list)  # type: ignore[type-arg]


#: (key, title, column, narrow order, fields, formsets) of each kind's form; the name first and
#: phones and emails next to it, so a new contact typed on a phone starts with name and phone
_LAYOUT: dict[str, tuple[tuple[str, Any, int, int, tuple[str, ...], tuple[str, ...]], ...]] = {
    "companies": (
        ("name", _("Main"), 1, 1, ("name", "legal_form"), ()),
        ("rest", "", 1, 3, ("status", "owner", "branch", "tags"), ()),
        ("extra", _("Additional"), 1, 5, ("industry", "source", "notes"), ()),
        ("channels", _("Phones and email"), 2, 2, (), ("phones", "emails")),
        (
            "details",
            _("Requisites and address"),
            2,
            4,
            ("inn", "kpp", "ogrn", "city", "region", "legal_address", "postal_address", "website"),
            (),
        ),
    ),
    "contacts": (
        ("name", _("Main"), 1, 1, ("last_name", "first_name", "middle_name"), ()),
        ("rest", "", 1, 3, ("birthday", "owner", "branch", "tags"), ()),
        ("extra", _("Additional"), 1, 6, ("address", "preferences", "email_consent"), ()),
        ("channels", _("Phones and email"), 2, 2, (), ("phones", "emails", "messengers")),
        ("work", _("Work"), 2, 4, (), ("employments",)),
        ("family", _("Related persons"), 2, 5, (), ("related_persons",)),
    ),
}
_FORMSET_TITLES = {
    "phones": _("Phones"),
    "emails": _("Emails"),
    "messengers": _("Messengers"),
    "employments": _("Companies"),
    "related_persons": _("Related persons"),
}


def form_sections(
    form: RecordForm,
    formsets: dict[str, forms.BaseFormSet],  # type: ignore[type-arg]
) -> list[Section]:
    """The form's fields and lists in titled sections; a field no section names (one added
    later) and the custom fields go to "Additional"."""
    sections = []
    placed: set[str] = set()
    extra: Section | None = None
    for key, title, column, order, names, lists in _LAYOUT[form.entity]:
        section = Section(key, str(title), column, order)
        section.fields = [form[name] for name in names if name in form.fields]
        placed.update(names)
        section.formsets = [
            (str(_FORMSET_TITLES[name]) if len(lists) > 1 else "", formsets[name])
            for name in lists
            if name in formsets
        ]
        if key == "extra":
            extra = section
        sections.append(section)
    assert extra is not None
    extra.fields += [
        field
        for field in form.visible_fields()
        if field.name not in placed and not field.name.startswith(CUSTOM_PREFIX)
    ]
    extra.fields += form.custom_bound_fields
    return sections
