"""The task form: what a person types, turned into the values the task services take."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.accounts.models import User
from kartoteka.activities import queries, recurrence
from kartoteka.activities.models import Task
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access
from kartoteka.core.widgets import RemoteSelect

REPEAT_CHOICES = (
    ("", pgettext_lazy("repeat", "Does not repeat")),
    ("daily", _("Every day")),
    ("weekly", _("Every week")),
    ("monthly", _("Every month")),
    ("custom", _("By a rule (RRULE)")),
)


class TaskForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(
        label=_("Task"),
        max_length=300,
        widget=forms.TextInput(attrs={"autofocus": True, "placeholder": _("Call, send, agree…")}),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    due_time = forms.TimeField(
        label=_("Time"),
        required=False,
        help_text=_("Optional: leave empty for the whole day."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    remind_at = forms.DateTimeField(
        label=_("Remind at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[(value, capfirst(label)) for value, label in Task.Priority.choices],
        initial=Task.Priority.NORMAL,
    )
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.none(),
        required=False,
        widget=RemoteSelect(model=Company, search_url="/api/v1/search/", kind="companies"),
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        required=False,
        widget=RemoteSelect(model=Contact, search_url="/api/v1/search/", kind="contacts"),
    )
    repeat = forms.ChoiceField(label=_("Repeats"), choices=REPEAT_CHOICES, required=False)
    rule = forms.CharField(
        label=_("Rule (RFC 5545 RRULE)"),
        required=False,
        max_length=recurrence.MAX_LENGTH,
        help_text=_("For example FREQ=WEEKLY;BYDAY=MO,TH or FREQ=MONTHLY;BYMONTHDAY=-1"),
        widget=forms.TextInput(
            attrs={"placeholder": "FREQ=WEEKLY;BYDAY=MO", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, actor: User, task: Task | None = None, **kwargs: Any) -> None:
        if task is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(task)
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.task = task
        if task is not None:  # the card opens to read it, not to type into it
            self.fields["title"].widget.attrs.pop("autofocus", None)
        people = queries.assignable_people(actor)
        if task is not None and task.owner_id is not None:
            people = User.objects.filter(
                Q(pk__in=people.values("pk")) | Q(pk=task.owner_id)
            ).order_by("last_name", "first_name", "id")
        assignee: Any = self.fields["assignee"]
        assignee.queryset = people.select_related("branch")
        assignee.widget.attrs["data-picker"] = "users"
        for name, model in (("company", Company), ("contact", Contact)):
            field: Any = self.fields[name]
            field.queryset = access.scoped(model.objects.all(), actor)
            linked = getattr(task, f"{name}_id", None) if task is not None else None
            if linked is not None and not field.queryset.filter(pk=linked).exists():
                # A client the actor may not see stays linked, unseen and untouched.
                del self.fields[name]
                self.hidden_clients = True

    hidden_clients = False

    @property
    def client_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("company", "contact") if name in self.fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("due_time") and not data.get("due_date"):
            self.add_error("due_time", _("A time needs a date."))
        if data.get("repeat") == "custom" and not (data.get("rule") or "").strip():
            self.add_error("rule", _("Write the rule, or choose a preset."))
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            "title": data["title"],
            "description": data.get("description", ""),
            "priority": data["priority"],
            "remind_at": data.get("remind_at"),
        }
        if data.get("assignee") is not None:
            values["assignee"] = data["assignee"]
        for name in ("company", "contact"):
            if name in self.fields:
                values[name] = data.get(name)
        day, time = data.get("due_date"), data.get("due_time")
        values["due_date"] = day
        values["due_at"] = (
            timezone.make_aware(datetime.datetime.combine(day, time)) if day and time else None
        )
        repeat = data.get("repeat") or ""
        values["recurrence"] = (data.get("rule") or "") if repeat == "custom" else repeat
        return values


def initial_of(task: Task) -> dict[str, Any]:
    preset = recurrence.preset_of(task.recurrence)
    local_due = timezone.localtime(task.due_at) if task.due_at else None
    return {
        "version": task.version,
        "title": task.title,
        "description": task.description,
        "assignee": task.owner_id,
        "due_date": task.due_date,
        "due_time": local_due.time() if local_due else None,
        "remind_at": timezone.localtime(task.remind_at) if task.remind_at else None,
        "priority": task.priority,
        "company": task.company_id,
        "contact": task.contact_id,
        "repeat": preset,
        "rule": task.recurrence if preset == "custom" else "",
    }


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Write a comment…")}),
    )
