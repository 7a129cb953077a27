"""Importing real .ics files: time zones, all-day events, repeating events, re-import, errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from kartoteka.activities.models import CalendarEvent
from kartoteka.activities.services.ical_import import ical_import
from tests.conftest import Personas

UTC = ZoneInfo("UTC")
TODAY = date(2026, 12, 1)


def _import(personas: Personas, folder: Path, name: str) -> object:
    return ical_import(actor=personas.manager_a, data=(folder / name).read_bytes(), today=TODAY)


def test_every_fixture_imports(personas: Personas, ics_dir: Path) -> None:
    for path in sorted(ics_dir.glob("*.ics")):
        result = ical_import(actor=personas.manager_a, data=path.read_bytes(), today=TODAY)
        print(path.name, result)
    print(CalendarEvent.objects.count())
