"""Page helpers: links to many records of one kind, reversed once."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix

from kartoteka.core.web import url_for_ids


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
