"""Forms of the records' settings pages: custom fields, group rules and tags."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.accounts.models import User
from kartoteka.core import kinds
from kartoteka.records.models import CustomField, GroupRule
from kartoteka.records.models.custom_fields import FieldType
from kartoteka.records.services import group_rules


class CustomFieldForm(forms.Form):
    entity = forms.ChoiceField(label=_("For"), choices=[])
    label = forms.CharField(label=_("Label"), max_length=100)
    code = forms.CharField(
        label=_("Code"),
        max_length=50,
        help_text=_(
            "Names the value in the API, filters and exports: latin letters, digits and _. "
            "Cannot be changed later."
        ),
        widget=forms.TextInput(attrs={"placeholder": "discount_rate", "autocomplete": "off"}),
    )
    type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        help_text=_("For “choice” and “multiple choice”: one per line."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    is_required = forms.BooleanField(
        label=_("Required"), required=False, widget=forms.CheckboxInput(attrs={"class": "check"})
    )
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=32767,
        required=False,
        help_text=_("Fields are shown by this number, smallest first."),
    )

    def __init__(self, *args: Any, field: CustomField | None = None, **kwargs: Any) -> None:
        if field is not None:
            kwargs.update(
                initial={
                    "entity": field.entity,
                    "label": field.label,
                    "code": field.code,
                    "type": field.type,
                    "choices": "\n".join(field.choices),
                    "is_required": field.is_required,
                    "position": field.position,
                },
            )
        super().__init__(*args, **kwargs)
        entity = self.fields["entity"]
        assert isinstance(entity, forms.ChoiceField)
        entity.choices = [(kind.entity, kind.plural) for kind in kinds.kinds_with("custom_fields")]
        if field is not None:
            # The code and the entity identify stored values: fixed once the field exists.
            self.fields["entity"].disabled = True
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Cannot be changed after the field is created.")

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "entity": data["entity"],
            "code": data["code"],
            "label": data["label"],
            "type": data["type"],
            "choices": str(data.get("choices") or "").splitlines(),
            "is_required": data["is_required"],
            "position": data.get("position"),
        }


class CustomFieldDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, delete the values too"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "check"}),
    )


class GroupRuleForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": _("Volga region")}),
    )
    field = forms.ChoiceField(label=_("If the field"))
    operator = forms.ChoiceField(label=_("Condition"), choices=GroupRule.Operator.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=200,
        help_text=_("Any case; ё and е are the same. Dates as 23.11.2026; yes/no for checkboxes."),
    )
    effect = forms.ChoiceField(label=_("Then"), choices=GroupRule.Effect.choices)
    tag = forms.CharField(
        label=_("Tag"),
        max_length=60,
        required=False,
        help_text=_("A new name creates the tag."),
        widget=forms.TextInput(attrs={"list": "tag-names", "autocomplete": "off"}),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.filter(is_active=True).select_related("branch"),
        required=False,
        help_text=_("The client moves to the owner's branch."),
        widget=forms.Select(attrs={"data-picker": "users"}),
    )
    is_active = forms.BooleanField(
        label=pgettext_lazy("group rule", "Active"),
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "check"}),
    )

    def __init__(
        self, *args: Any, entity: str, rule: GroupRule | None = None, **kwargs: Any
    ) -> None:
        if rule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": rule.name,
                    "field": rule.field,
                    "operator": rule.operator,
                    "value": rule.value,
                    "effect": rule.effect,
                    "tag": rule.tag.name if rule.tag else "",
                    "owner": rule.owner,
                    "is_active": rule.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = group_rules.field_choices(entity)
        self.entity = entity

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "entity": self.entity,
            "name": data["name"],
            "field": data["field"],
            "operator": data["operator"],
            "value": data["value"],
            "effect": data["effect"],
            "tag": data.get("tag") or None,
            "owner": data.get("owner"),
            "is_active": data["is_active"],
        }


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    color = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#1d5fc4",
        widget=forms.TextInput(attrs={"type": "color", "list": "tag-palette"}),
    )
