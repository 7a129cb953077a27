"""The calendar's forms: a meeting (quick create in a popover, the full form), an .ics upload."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.accounts.models import User
from kartoteka.activities.models import CalendarEvent
from kartoteka.activities.services.ical_import import MAX_BYTES
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access
from kartoteka.core.widgets import RemoteSelect

MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]


class MomentInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": 300, **(attrs or {})}, format="%Y-%m-%dT%H:%M")


class EventForm(forms.Form):
    """A meeting: what, when, who, with which client. ``people`` are the colleagues one may
    invite (those whose calendars one may see); the client pickers search visible clients only."""

    title = forms.CharField(label=pgettext_lazy("calendar", "Title"), max_length=300)
    starts_at = forms.DateTimeField(
        label=pgettext_lazy("calendar", "Starts"),
        input_formats=MOMENT_FORMATS,
        widget=MomentInput(),
    )
    ends_at = forms.DateTimeField(
        label=pgettext_lazy("calendar", "Ends"), input_formats=MOMENT_FORMATS, widget=MomentInput()
    )
    all_day = forms.BooleanField(label=pgettext_lazy("calendar", "All day"), required=False)
    participants = forms.ModelMultipleChoiceField(
        label=pgettext_lazy("calendar", "Participants"),
        queryset=User.objects.none(),
        required=False,
    )
    company = forms.ModelChoiceField(
        label=pgettext_lazy("calendar", "Company"),
        queryset=Company.objects.none(),
        required=False,
        widget=RemoteSelect(model=Company, search_url="/api/v1/search/", kind="companies"),
    )
    contact = forms.ModelChoiceField(
        label=pgettext_lazy("calendar", "Contact"),
        queryset=Contact.objects.none(),
        required=False,
        widget=RemoteSelect(model=Contact, search_url="/api/v1/search/", kind="contacts"),
    )
    location = forms.CharField(
        label=pgettext_lazy("calendar", "Place"), max_length=300, required=False
    )
    description = forms.CharField(
        label=pgettext_lazy("calendar", "Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(
        self, *args: Any, user: User, people: QuerySet[User], quick: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["participants"].queryset = people
        fields["company"].queryset = access.scoped(Company.objects.all(), user)
        fields["contact"].queryset = access.scoped(Contact.objects.all(), user)
        if quick:  # the popover asks only what a meeting needs at once
            for name in ("location", "description"):
                del fields[name]

    @classmethod
    def initial_of(cls, event: CalendarEvent, participant_ids: list[int]) -> dict[str, Any]:
        starts = timezone.localtime(event.starts_at)
        ends = timezone.localtime(event.ends_at)
        if event.all_day:  # the form shows the last day, the record keeps the midnight after it
            ends = max(ends - timedelta(days=1), starts)
        return {
            "title": event.title,
            "starts_at": starts,
            "ends_at": ends,
            "all_day": event.all_day,
            "participants": participant_ids,
            "company": event.company_id,  # type: ignore[attr-defined]
            "contact": event.contact_id,  # type: ignore[attr-defined]
            "location": event.location,
            "description": event.description,
            "version": event.version,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if isinstance(starts, datetime) and isinstance(ends, datetime):
            if data.get("all_day"):
                zone = timezone.get_current_timezone()
                first = timezone.localtime(starts).date()
                last = max(timezone.localtime(ends).date(), first)
                data["starts_at"] = timezone.make_aware(datetime.combine(first, time.min), zone)
                data["ends_at"] = timezone.make_aware(
                    datetime.combine(last + timedelta(days=1), time.min), zone
                )
            elif ends < starts:
                self.add_error("ends_at", _("A meeting cannot end before it starts."))
        return data

    def values(self) -> dict[str, Any]:
        """The cleaned form as the event services take it."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["participants"] = list(data.get("participants") or [])
        return data


class IcsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("iCalendar file (.ics)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
