"""Tasks as the tests need them, straight in the database (no service rules in the way)."""

from __future__ import annotations

import datetime
from typing import Any

from kartoteka.accounts.models import User
from kartoteka.activities.models import Task


def make_task(owner: User, title: str = "Позвонить", **extra: Any) -> Task:
    values: dict[str, Any] = {"author": owner, "branch": owner.branch, **extra}
    return Task.objects.create(owner=owner, title=title, **values)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)
