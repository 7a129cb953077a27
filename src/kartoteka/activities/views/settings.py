"""Settings › Important dates: how many days ahead, and the greeting emails' language and text."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.activities import greetings
from kartoteka.activities.models.dates import MAX_DAYS_AHEAD
from kartoteka.activities.services import important_dates
from kartoteka.core import access
from kartoteka.core.errors import DomainError
from kartoteka.core.web import apply_domain_error, signed_in

PLACEHOLDERS = (
    ("client.first_name", gettext_lazy("the client's first name")),
    ("client.middle_name", gettext_lazy("patronymic")),
    ("client.last_name", gettext_lazy("last name")),
    ("client.full_name", gettext_lazy("full name")),
    ("person.name", gettext_lazy("the close person's name (the client's, for their birthday)")),
    ("person.relation", gettext_lazy("who they are to the client: wife, son…")),
    ("event", gettext_lazy("birthday, wedding anniversary…")),
    ("date", gettext_lazy("the date: 12 December")),
    ("days", gettext_lazy("days left: 2")),
    ("days_text", gettext_lazy("days left in words: 2 days")),
    ("manager.name", gettext_lazy("the client's owner")),
    ("manager.phone", gettext_lazy("their phone")),
    ("manager.email", gettext_lazy("their email")),
)


class ImportantDatesForm(forms.Form):
    days_ahead = forms.IntegerField(
        label=gettext_lazy("Days ahead"),
        min_value=0,
        max_value=MAX_DAYS_AHEAD,
        help_text=gettext_lazy(
            "How many days before the date the owner gets a task and the client an email."
        ),
    )
    email_language = forms.ChoiceField(
        label=gettext_lazy("Language of the emails"), choices=django_settings.LANGUAGES
    )
    email_subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    email_body = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 10}), max_length=5000
    )
    own_subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    own_body = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 10}), max_length=5000
    )


def _preview(texts: dict[str, str], language: str) -> dict[str, str]:
    """Both emails rendered with a made-up client, as the client would read them."""
    with translation.override(language):
        context = greetings.sample_context()
        own = {**context, "person": {"name": context["client"]["full_name"], "relation": ""}}
        own["event"] = _("birthday")
    shown = {}
    for name, text in texts.items():
        try:
            shown[name] = greetings.render(text, own if name.startswith("own") else context)
        except Exception:  # noqa: BLE001 - a broken template shows its error beside the field
            shown[name] = ""
    return shown


@login_required
def important_dates_settings(request: HttpRequest) -> HttpResponse:
    actor = signed_in(request)
    if not access.has_any(actor, "settings", "view"):
        raise Http404
    may_edit = access.has_any(actor, "settings", "edit")
    config = important_dates.get_settings()
    language = important_dates.email_language(config)
    texts = important_dates.effective_texts(config)
    initial: dict[str, Any] = {"days_ahead": config.days_ahead, "email_language": language, **texts}
    form = ImportantDatesForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise Http404
        if form.is_valid():
            values = dict(form.cleaned_data)
            if request.POST.get("reset"):
                # "Built-in text": the texts follow the chosen language again.
                values.update(dict.fromkeys(important_dates.TEXT_FIELDS, ""))
            try:
                important_dates.settings_save(actor=actor, values=values)
                messages.success(request, _("Important dates settings saved."))
                return redirect("activities:important-dates")
            except DomainError as error:
                apply_domain_error(form, error)
        status = 422
    if form.is_bound:
        shown = {name: str(form.data.get(name, "")) for name in important_dates.TEXT_FIELDS}
    else:
        shown = texts
    if not may_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "activities/important_dates_settings.html",
        {
            "form": form,
            "may_edit": may_edit,
            "preview": _preview(shown, language),
            "placeholders": PLACEHOLDERS,
            "section": "settings",
        },
        status=status,
    )
