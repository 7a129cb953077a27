"""The sharing panel's form: one "Открыть доступ" control for every record kind.

One select lists whom the sharer may share with, grouped Users / Teams / Branches (each option's
value is ``user:<id>``, ``team:<id>`` or ``branch:<id>``); ``data-picker`` lets the page make it
a searchable picker, and a plain select works without it. An optional end date follows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from kartoteka.accounts.models import User
from kartoteka.records.sharing import share_targets

KINDS = ("user", "team", "branch")


class ShareForm(forms.Form):
    """Whom to share a record with: only people, teams and branches the sharer may see are
    offered, and a submitted value outside them is a field error."""

    target = forms.ChoiceField(
        label=_("Whom"),
        error_messages={"required": _("Choose a user, a team or a branch.")},
        widget=forms.Select(attrs={"data-picker": ""}),
    )
    until = forms.DateField(
        required=False,
        label=_("Until (optional)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, data: Any = None, *args: Any, actor: User, **kwargs: Any) -> None:
        if data is not None and not data.get("target"):
            # Also accepted: user=<id>, team=<id> or branch=<id> (how older pages posted).
            named = [(kind, data.get(kind)) for kind in KINDS if data.get(kind)]
            if len(named) == 1:
                data = data.copy()
                data["target"] = f"{named[0][0]}:{named[0][1]}"
        super().__init__(data, *args, **kwargs)
        users, teams, branches = share_targets(actor)
        self._targets: dict[str, Model] = {}
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        for kind, label, queryset in (
            ("user", _("Users"), users.select_related("branch")),
            ("team", _("Teams"), teams),
            ("branch", _("Branches"), branches),
        ):
            options = []
            for obj in queryset:
                value = f"{kind}:{obj.pk}"
                self._targets[value] = obj
                options.append((value, _user_label(obj) if kind == "user" else str(obj)))
            if options:
                groups.append((str(label), options))
        field = self.fields["target"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *groups]

    def share_arguments(self) -> dict[str, Any]:
        """``share_create``'s keyword arguments: exactly one of user/team/branch, and until."""
        value = self.cleaned_data["target"]
        kind = value.partition(":")[0]
        arguments: dict[str, Any] = dict.fromkeys(KINDS)
        arguments[kind] = self._targets[value]
        arguments["until"] = self.cleaned_data.get("until")
        return arguments


def _user_label(user: Any) -> str:
    branch = getattr(user, "branch", None)
    return f"{user} · {branch}" if branch else str(user)
