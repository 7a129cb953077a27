"""Dates people care about: how many days until the next birthday or anniversary."""

from __future__ import annotations

import datetime


def days_until_next(day: datetime.date, today: datetime.date) -> int:
    """Days from ``today`` to the next occurrence of ``day``'s month and day (29 Feb → 28 Feb)."""

    def in_year(year: int) -> datetime.date:
        try:
            return day.replace(year=year)
        except ValueError:  # 29 February in a common year
            return day.replace(year=year, day=28)

    upcoming = in_year(today.year)
    if upcoming < today:
        upcoming = in_year(today.year + 1)
    return (upcoming - today).days
