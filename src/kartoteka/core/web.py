"""Small helpers shared by page views: turning domain errors into page answers, and links to
many records of one kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from rest_framework.request import Request

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

from kartoteka.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError


def apply_domain_error(form: forms.BaseForm, error: DomainError) -> dict[str, Any] | None:
    """Put a service's field errors on the form; return conflict details for the page, if any.

    A missing/hidden record becomes a 404, the same answer as for a record that never existed.
    """
    if isinstance(error, NotFoundError):
        raise Http404(error.message)
    if isinstance(error, ForbiddenError):
        raise PermissionDenied(error.message)
    if isinstance(error, ConflictError):
        from kartoteka.core import audit_text

        instance = getattr(form, "instance", None)
        model = type(instance) if instance is not None else None

        def line(name: str, old: Any, new: Any) -> tuple[Any, str, str]:
            label = form.fields[name].label if name in form.fields else None
            return (
                label or audit_text.field_label(model, name),
                audit_text.value_text(model, name, old),
                audit_text.value_text(model, name, new),
            )

        return {
            "message": error.message,
            "version": error.current_version,
            "changes": [
                {
                    "at": datetime.fromisoformat(change["at"]),
                    "who": change["who"],
                    "fields": [
                        line(name, old, new) for name, (old, new) in change["changes"].items()
                    ],
                }
                for change in error.changes
            ],
        }
    for field, messages in error.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
    if not error.fields:
        form.add_error(None, error.message)
    return None


def signed_in(request: HttpRequest | Request) -> User:
    """The user of a request that passed login (pages) or authentication (API)."""
    return cast("User", request.user)


#: an id no record has, reversed in its place and then replaced
_STAND_IN = 987654321


def url_for_ids(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` as a function of ``pk``, for pages linking many records:
    the URL is reversed once with a stand-in id (a reverse per row costs more than the row)."""
    head, stand_in, tail = reverse(name, args=[_STAND_IN]).rpartition(str(_STAND_IN))
    if not stand_in:
        raise ValueError(f"{name}'s URL does not show its id as it is")
    return lambda pk: f"{head}{pk}{tail}"


def row_html(template: str, *values: Any) -> SafeString:
    """``format_html`` for pages of rows: ``template`` with each value escaped, or as it is when
    it knows its own HTML (``__html__``), the same output. It skips the checks for lazy text
    that ``format_html`` makes around every value, half of its cost; a page of rows calls it
    hundreds of times."""
    return SafeString(
        template.format(
            *[
                value.__html__() if hasattr(value, "__html__") else escape(str(value))
                for value in values
            ]
        )
    )


def options_html(choices: Iterable[tuple[Any, Any]], selected: str = "") -> SafeString:
    """A select's ``<option>`` elements for ``(value, label)`` pairs, the one whose value reads
    ``selected`` marked. Made in Python: a template loop costs ~0.2 ms per twenty options, and
    list pages show the same people in two selects."""
    return SafeString(
        "".join(
            '<option value="{}"{}>{}</option>'.format(
                escape(str(value)),
                " selected" if selected and str(value) == selected else "",
                escape(str(label)),
            )
            for value, label in choices
        )
    )


class DateWords:
    """``date_format(value, pattern)`` remembered for one page: many rows share a date."""

    def __init__(self) -> None:
        self._worded: dict[tuple[Any, str], str] = {}

    def __call__(self, value: Any, pattern: str) -> str:
        key = (value, pattern)
        if key not in self._worded:
            self._worded[key] = date_format(value, pattern)
        return self._worded[key]
