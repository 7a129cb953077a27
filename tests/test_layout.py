"""The code's shape rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

from pathlib import Path

import kartoteka

PACKAGE = Path(kartoteka.__file__).resolve().parent
LIMIT = 600


def test_no_module_over_600_lines() -> None:
    """A module that outgrows 600 lines becomes a package by sub-domain (STYLE.md)."""
    too_long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert too_long == {}
