"""Dates people care about: how many days until the next birthday or anniversary."""

from __future__ import annotations

import datetime


def in_year(day: datetime.date, year: int) -> datetime.date:
    """``day``'s month and day in ``year``; 29 February falls on 28 February in a common year."""
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return day.replace(year=year, day=28)


def next_occurrence(day: datetime.date, today: datetime.date) -> datetime.date:
    """The first date on or after ``today`` with ``day``'s month and day (29 Feb → 28 Feb)."""
    upcoming = in_year(day, today.year)
    if upcoming < today:
        upcoming = in_year(day, today.year + 1)
    return upcoming


def days_until_next(day: datetime.date, today: datetime.date) -> int:
    """Days from ``today`` to the next occurrence of ``day``'s month and day (29 Feb → 28 Feb)."""
    return (next_occurrence(day, today) - today).days


def day_heading(day: datetime.date) -> str:
    """A day as a heading names it in the active language: "вторник, 1 декабря" (weekday in
    lower case, month in the genitive, as Russian writes it), "Tuesday, 1 December"."""
    from django.utils import dateformat, translation

    text = dateformat.format(day, "l, j E")
    if (translation.get_language() or "").startswith("ru"):
        text = text[:1].lower() + text[1:]
    return text


def moment_text(moment: datetime.datetime) -> str:
    """A moment as every page and message writes it: local time, "05.12.2026 14:50"."""
    from django.utils import timezone
    from django.utils.formats import date_format

    return date_format(timezone.localtime(moment), "d.m.Y H:i")


#: the years a planned or logged moment may fall in: before 1900 offsets are local mean time
#: (Moscow +02:30:17), which no calendar program reads, and such dates are typing slips anyway
FIRST_YEAR, LAST_YEAR = 1900, 2999


def validate_working_date(value: datetime.date) -> None:
    """Refuse a date or moment outside :data:`FIRST_YEAR`..:data:`LAST_YEAR`."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Enter a date between %(first)d and %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            code="out_of_range",
        )
