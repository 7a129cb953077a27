"""The calendar tests' fixture: the real .ics files collected in shared/fixtures/calendar/.

A test calls :func:`ics_folder` (a plain function, not a pytest fixture, so that no conftest is
needed here).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import require_in_ci

#: shared/ sits beside the repository (a work tree or CI's clone); KARTOTEKA_SHARED_FIXTURES
#: may point elsewhere
_ROOT = Path(__file__).resolve().parents[2]


def calendar_fixtures_dir() -> Path:
    configured = os.environ.get("KARTOTEKA_SHARED_FIXTURES")
    base = Path(configured) if configured else _ROOT.parent / "shared" / "fixtures"
    return base / "calendar"


def ics_folder() -> Path:
    """The folder of real .ics files; outside CI a missing folder skips the test, saying why
    (in CI it fails: the fixtures must be there)."""
    folder = calendar_fixtures_dir()
    if not folder.is_dir():
        require_in_ci(f"the shared calendar fixtures are missing at {folder}")
    return folder
