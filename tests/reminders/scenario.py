"""Set up and inspect a reminder in a database the tests' subprocesses share.

Run as ``python -m tests.reminders.scenario setup|status ...`` with the subprocess's
environment (its KARTOTEKA_DATABASE_URL / KARTOTEKA_DATA_DIR); prints JSON.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime


def setup(remind_at: str, password: str) -> dict[str, object]:
    from kartoteka.accounts.models import Branch, Role
    from kartoteka.accounts.services import user_create
    from kartoteka.activities.services.tasks import task_create

    branch = Branch.objects.create(name="Москва")
    user = user_create(
        actor=None,
        username="ivanova",
        password=password,
        branch=branch,
        email="ivanova@romashka.ru",
        roles=list(Role.objects.filter(code="sales_manager")),
        language="ru",
    )
    task = task_create(
        actor=user,
        values={"title": "Позвонить Петрову", "remind_at": datetime.fromisoformat(remind_at)},
    )
    return {"user": user.pk, "task": task.pk}


def status() -> dict[str, object]:
    from kartoteka.core.models import Delivery, Notification

    return {
        "deliveries": sorted(
            Delivery.objects.values_list("channel", "state", "attempts", "message_id")
        ),
        "notifications": Notification.objects.count(),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    result = setup(*args) if command == "setup" else status()
    print(json.dumps(result, default=list))


if __name__ == "__main__":
    main()
