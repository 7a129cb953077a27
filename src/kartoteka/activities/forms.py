"""The card's inline forms: log a call, meeting, inquiry or note, with an optional next step."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity, RefusalReason
from kartoteka.activities.services.activities import OUTCOMES

#: what each type of activity asks, besides when and the text
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    Activity.Type.CALL: ("direction", "outcome", "duration", "recording_url"),
    Activity.Type.MEETING: ("place", "participants", "result"),
    Activity.Type.INQUIRY: ("product_text", "outcome", "reason"),
    Activity.Type.NOTE: (),
    Activity.Type.EMAIL: ("direction",),
}
#: the types logged from the card, in the order of their buttons
LOGGED = (Activity.Type.CALL, Activity.Type.MEETING, Activity.Type.INQUIRY, Activity.Type.NOTE)
#: the field a new form of each type starts in
FOCUS: dict[str, str] = {
    Activity.Type.CALL: "outcome",
    Activity.Type.MEETING: "place",
    Activity.Type.INQUIRY: "product_text",
    Activity.Type.NOTE: "body",
}
NEXT_FIELDS = ("next_title", "next_due_date", "next_due_time", "next_assignee")
DURATION = re.compile(r"^\s*(\d{1,4})(?:\s*[:.,]\s*(\d{1,2}))?\s*$")


def _local_input(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


class DurationField(forms.CharField):
    """Minutes ("4") or minutes and seconds ("4:30"), stored as seconds."""

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = str(value or "").strip()
        if not text:
            return None
        found = DURATION.match(text)
        if not found or int(found[2] or 0) >= 60:
            raise forms.ValidationError(_("Minutes, or minutes:seconds (4:30)."))
        return int(found[1]) * 60 + int(found[2] or 0)


class ActivityForm(forms.Form):
    """One activity of a given type; ``next_*`` fields describe the optional next step."""

    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    )
    contact = forms.TypedChoiceField(
        label=_("With whom"), required=False, coerce=int, empty_value=None
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Activity.Direction.choices,
        initial=Activity.Direction.OUTGOING,
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    duration = DurationField(
        label=_("Duration, min"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "4:30", "size": 6}),
    )
    recording_url = forms.URLField(
        label=_("Recording link"), required=False, max_length=500, assume_scheme="https"
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=300)
    participants = forms.TypedMultipleChoiceField(
        label=_("Participants"), required=False, coerce=int
    )
    result = forms.CharField(
        label=_("Result"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    product_text = forms.CharField(
        label=_("What the client asked for"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("black shoe cream")}),
    )
    reason = forms.TypedChoiceField(
        label=_("Refusal reason"), required=False, coerce=int, empty_value=None
    )
    body = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_title = forms.CharField(
        label=_("What to do"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("Send the price list")}),
    )
    next_due_date = forms.DateField(
        label=_("Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )
    next_due_time = forms.TimeField(
        label=_("at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    next_assignee = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        data: Any = None,
        *,
        kind: str,
        actor: User,
        people: list[tuple[int, str]],
        users: list[User],
        instance: Activity | None = None,
        prefix: str | None = None,
    ) -> None:
        self.kind = kind
        self.instance = instance
        initial: dict[str, Any] = {"occurred_at": _local_input(timezone.now())}
        initial["next_assignee"] = actor.pk
        if instance is not None:
            initial.update(_initial_of(instance))
        super().__init__(data, initial=initial, prefix=prefix)
        wanted = {"occurred_at", "body", "contact", *TYPE_FIELDS.get(kind, ())}
        if instance is None:
            wanted.update(NEXT_FIELDS)
        else:
            wanted.discard("contact")  # what it is about stays; edit the text and the outcome
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        if "contact" in self.fields:
            if people:
                choice = self.fields["contact"]
                choice.choices = [("", _("The company itself")), *people]  # type: ignore[attr-defined]
            else:
                del self.fields["contact"]
        if "outcome" in self.fields:
            labels = dict(Activity.Outcome.choices)
            self.fields["outcome"].choices = [  # type: ignore[attr-defined]
                ("", _("not chosen")),
                *((code, str(labels[code]).capitalize()) for code in OUTCOMES.get(str(kind), ())),
            ]
        if kind == Activity.Type.INQUIRY:
            self.fields["outcome"].initial = Activity.Outcome.PENDING
        if "reason" in self.fields:
            kept = instance.reason_id if instance is not None else None  # type: ignore[attr-defined]
            reasons = RefusalReason.objects.filter(Q(active=True) | Q(pk=kept or 0))
            self.fields["reason"].choices = [  # type: ignore[attr-defined]
                ("", _("not chosen")),
                *((r.pk, r.name) for r in reasons.order_by("position", "name")),
            ]
        user_choices = [(u.pk, u.get_full_name() or u.username) for u in users]
        if "participants" in self.fields:
            self.fields["participants"].choices = user_choices  # type: ignore[attr-defined]
            self.fields["participants"].widget.attrs["data-picker"] = "users"
        if "next_assignee" in self.fields:
            self.fields["next_assignee"].choices = user_choices  # type: ignore[attr-defined]
        if kind == Activity.Type.NOTE:
            self.fields["body"].required = True
            self.fields["body"].label = _("Note")
        first = FOCUS.get(kind)
        if instance is None and first in self.fields:
            # htmx focuses it once the form is on the card: one click, then type.
            self.fields[first].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("next_title") and not cleaned.get("next_due_date"):
            if cleaned.get("next_due_time"):
                self.add_error("next_due_date", _("Choose the day too."))
        elif not cleaned.get("next_title") and (
            cleaned.get("next_due_date") or cleaned.get("next_due_time")
        ):
            self.add_error("next_title", _("Say what is to be done."))
        return cleaned

    def activity_values(self, client_field: str, client: Any) -> dict[str, Any]:
        """What the service takes, from the checked form."""
        data = self.cleaned_data
        values: dict[str, Any] = {"type": self.kind}
        for name in ("occurred_at", "body", *TYPE_FIELDS.get(self.kind, ())):
            if name in self.fields:
                value = data.get(name)
                values[name] = "" if value is None and name not in _NULLABLE else value
        if self.instance is None:
            values[client_field] = client
        if "contact" in self.fields and self.instance is None:
            values["contact"] = data.get("contact")
        return values

    def next_step(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if self.instance is not None or not data.get("next_title"):
            return None
        step: dict[str, Any] = {"title": data["next_title"]}
        if data.get("next_assignee"):
            step["assignee"] = data["next_assignee"]
        day, time = data.get("next_due_date"), data.get("next_due_time")
        if day and time:
            moment = datetime.datetime.combine(day, time)
            step["due_at"] = timezone.make_aware(moment, timezone.get_current_timezone())
        elif day:
            step["due_date"] = day
        return step


_NULLABLE = {"duration", "reason", "participants", "occurred_at"}
#: a service's field names as the form calls them
FORM_NAMES = {
    "next_owner": "next_assignee",
    "next_due_at": "next_due_date",
    "next_company": "next_title",
    "next_contact": "next_title",
}


def _initial_of(activity: Activity) -> dict[str, Any]:
    return {
        "occurred_at": _local_input(activity.occurred_at),
        "contact": activity.contact_id,  # type: ignore[attr-defined]
        "direction": activity.direction or Activity.Direction.OUTGOING,
        "outcome": activity.outcome,
        "duration": _minutes(activity.duration),
        "recording_url": activity.recording_url,
        "place": activity.place,
        "participants": [user.pk for user in activity.participants.all()],
        "result": activity.result,
        "product_text": activity.product_text,
        "reason": activity.reason_id,  # type: ignore[attr-defined]
        "body": activity.body,
    }


def _minutes(seconds: int | None) -> str:
    if not seconds:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}" if rest else str(minutes)


def type_label(kind: str) -> str:
    return str(dict(Activity.Type.choices).get(kind, kind))


LOG_LABELS: dict[str, Any] = {
    # "Log call", not "Call": the card's header already has "Call", which dials the number.
    Activity.Type.CALL: pgettext_lazy("log", "Log call"),
    Activity.Type.MEETING: pgettext_lazy("log", "Log meeting"),
    Activity.Type.INQUIRY: pgettext_lazy("log", "Log inquiry"),
    Activity.Type.NOTE: pgettext_lazy("log", "Add note"),
}
