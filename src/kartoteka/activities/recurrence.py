"""Repeating tasks: RFC 5545 RRULEs, the presets behind "daily / weekly / monthly", and the
occurrence that follows a done one.

A task stores its rule as the RRULE's value ("FREQ=WEEKLY;BYDAY=MO"). The presets become rules
anchored on the task's due day when it is saved, so "monthly" on the 31st means "on the 31st, or
the month's last day when it is shorter" and never drifts (31.01 → 28.02 → 31.03), while a raw
``FREQ=MONTHLY`` follows RFC 5545 to the letter and skips the months without a 31st.

Each occurrence is a task of its own: completing one creates the next, counted from the done
one's due moment in the company's time zone (wall-clock time kept across daylight-saving changes).
A ``COUNT`` is carried down (the next occurrence has one fewer), an ``UNTIL`` ends the series.
"""

from __future__ import annotations

import datetime
import re

from dateutil import rrule
from django.utils import timezone
from django.utils.translation import gettext as _

PRESETS = ("daily", "weekly", "monthly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: tasks repeat by the day at most often: an hourly task is a reminder, not a task
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_LENGTH = 300

_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)
_COUNT = re.compile(r"(^|;)COUNT=(\d+)", re.IGNORECASE)


class RuleError(ValueError):
    """A rule that is not an RRULE a task can follow; the message says why, for the user."""


def preset_rule(preset: str, day: datetime.date) -> str:
    """The rule of ``preset`` ("daily", "weekly", "monthly") for a task due on ``day``."""
    if preset == "daily":
        return "FREQ=DAILY"
    if preset == "weekly":
        return f"FREQ=WEEKLY;BYDAY={WEEKDAYS[day.weekday()]}"
    if preset == "monthly":
        if day.day <= 28:
            return f"FREQ=MONTHLY;BYMONTHDAY={day.day}"
        # The 29th-31st, or the last day of a shorter month (BYSETPOS picks the earlier).
        return f"FREQ=MONTHLY;BYMONTHDAY={day.day},-1;BYSETPOS=1"
    raise RuleError(_("Unknown repeat."))


def preset_of(rule: str) -> str:
    """Which preset ``rule`` is ("daily", "weekly", "monthly"), "" for none, "custom" else."""
    if not rule:
        return ""
    if rule == "FREQ=DAILY":
        return "daily"
    if re.fullmatch(r"FREQ=WEEKLY;BYDAY=(MO|TU|WE|TH|FR|SA|SU)", rule):
        return "weekly"
    if re.fullmatch(r"FREQ=MONTHLY;BYMONTHDAY=([1-9]|1\d|2[0-8])", rule) or re.fullmatch(
        r"FREQ=MONTHLY;BYMONTHDAY=(29|30|31),-1;BYSETPOS=1", rule
    ):
        return "monthly"
    return "custom"


def normalise(text: str) -> str:
    """``text`` as a stored rule: no "RRULE:" prefix, upper case, no spaces, no empty parts."""
    rule = "".join(str(text or "").split()).upper()
    if rule.startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    return ";".join(part for part in rule.split(";") if part)


def _local_naive(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(tzinfo=None)


def _untils_local(rule: str) -> str:
    # An UNTIL in UTC ("...Z") read on the local wall clock, like the rule's start.
    def local(match: re.Match[str]) -> str:
        utc = datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(
            tzinfo=datetime.UTC
        )
        return "UNTIL=" + _local_naive(utc).strftime("%Y%m%dT%H%M%S")

    return _UNTIL_UTC.sub(local, rule)


def parse(rule: str, start: datetime.datetime) -> rrule.rrule:
    """``rule`` from ``start`` (a naive local moment), or :class:`RuleError` saying why not."""
    if len(rule) > MAX_LENGTH:
        raise RuleError(_("The rule is too long."))
    parts = dict(part.partition("=")[::2] for part in rule.split(";"))
    if "DTSTART" in parts or not rule.startswith("FREQ=") and "FREQ" not in parts:
        raise RuleError(_("Write an RRULE such as FREQ=WEEKLY;BYDAY=MO,TH."))
    if parts.get("FREQ") not in FREQUENCIES:
        raise RuleError(_("A task repeats daily, weekly, monthly or yearly at most often."))
    try:
        parsed = rrule.rrulestr(_untils_local(rule), dtstart=start)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise RuleError(_("This is not a valid RRULE: %(error)s") % {"error": error}) from None
    if not isinstance(parsed, rrule.rrule):  # pragma: no cover - one RRULE gives one rrule
        raise RuleError(_("Write one RRULE."))
    return parsed


def check(rule: str) -> None:
    """Raise :class:`RuleError` unless ``rule`` is a rule a task can follow."""
    parse(rule, datetime.datetime(2000, 1, 1))  # noqa: DTZ001 - rules are read on wall time


def _count(rule: str) -> int | None:
    found = _COUNT.search(rule)
    return int(found.group(2)) if found else None


def following_rule(rule: str) -> str | None:
    """The rule of the next occurrence: ``COUNT`` one fewer; None when the series is over."""
    count = _count(rule)
    if count is None:
        return rule
    if count <= 1:
        return None
    return _COUNT.sub(lambda m: f"{m.group(1)}COUNT={count - 1}", rule, count=1)


def next_due(
    rule: str, *, due_date: datetime.date, due_at: datetime.datetime | None
) -> tuple[datetime.date, datetime.datetime | None] | None:
    """The due date (and moment, for a task with a time) after this occurrence's; None: no more.

    ``due_at`` is aware; the next moment keeps its local wall-clock time.
    """
    if following_rule(rule) is None:
        return None
    start = (
        _local_naive(due_at)
        if due_at is not None
        else datetime.datetime.combine(due_date, datetime.time())
    )
    found = parse(rule, start).after(start)
    if found is None:
        return None
    if due_at is None:
        return found.date(), None
    moment = timezone.make_aware(found)
    return timezone.localdate(moment), moment
