"""How every form's pickers render: never "---------", and one possible value is chosen already.

``settings.FORM_RENDERER`` names :class:`Renderer`, so each ``<select>`` of every form (a model's
choices, a ModelChoiceField, a filter built with forms) passes through :func:`settle_select`:

- the empty choice Django labels "---------" reads "Не выбрано" ("Not selected");
- a required single picker with exactly one real option and nothing chosen has that option
  chosen, and its empty choice is dropped: there is nothing to pick.

Pickers over long lists (``data-remote-search``) render only the chosen option and are left as
they are. forms.js then turns pickers into searchable ones (Tom Select).
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy as _

#: Django's label of the empty choice (ModelChoiceField.empty_label, BLANK_CHOICE_DASH)
DJANGO_DASHES = "---------"
NOT_SELECTED = _("Not selected")


def _empty(value: Any) -> bool:
    return value in (None, "")


def settle_select(widget: dict[str, Any]) -> None:
    """Relabel the empty choice and preselect a lone option of ``widget`` (a widget context)."""
    groups = widget.get("optgroups") or []
    options = [option for _name, group, _index in groups for option in group]
    for option in options:
        if _empty(option.get("value")) and str(option.get("label")) == DJANGO_DASHES:
            option["label"] = NOT_SELECTED
    attrs = widget.get("attrs") or {}
    if (
        widget.get("allow_multiple_selected")
        or not attrs.get("required")
        or "data-remote-search" in attrs
        or attrs.get("disabled")
    ):
        return
    real = [option for option in options if not _empty(option.get("value"))]
    if len(real) != 1 or any(option.get("selected") for option in options if option in real):
        return
    real[0]["selected"] = True
    real[0].setdefault("attrs", {})["selected"] = True
    for _name, group, _index in groups:
        group[:] = [option for option in group if not _empty(option.get("value"))]


class Renderer(DjangoTemplates):
    """Django's template renderer with :func:`settle_select` applied to every select widget."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict) and "optgroups" in widget:
            settle_select(widget)
        return super().render(template_name, context, request)
