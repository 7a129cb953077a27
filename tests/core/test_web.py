"""Page helpers: links to many records of one kind, reversed once; rows' HTML escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from kartoteka.core.web import row_html, url_for_ids


def test_links_by_id_are_what_reverse_gives() -> None:
    ids = (1, 42, 987654321, 10**12)
    prefix = get_script_prefix()
    try:
        for script_prefix in ("/", "/crm/"):
            set_script_prefix(script_prefix)
            snooze = url_for_ids("activities:task-snooze")
            assert [snooze(pk) for pk in ids] == [
                reverse("activities:task-snooze", args=[pk]) for pk in ids
            ]
    finally:
        set_script_prefix(prefix)
    with pytest.raises(NoReverseMatch):
        url_for_ids("home")  # a page without an id fails at once, as reverse() does


@pytest.mark.parametrize(
    "value",
    [
        '<script>alert("x")</script>',
        "O'Brien & Sons",
        "Ромашка «ООО»",
        42,
        None,
        mark_safe("<b>already safe</b>"),
        gettext_lazy("Name"),
        format_html("<i>{}</i>", "<made>"),
    ],
)
def test_row_html_escapes_as_format_html_does(value: Any) -> None:
    # The rows of list pages, timelines and task lists print users' text through it.
    template = '<td title="{}">{}</td>'
    assert row_html(template, value, value) == format_html(template, value, value)
    assert isinstance(row_html(template, value, value), SafeString)
