"""Bulk change items keep the record's version before the batch too.

Until now it was always ``version_after - 1`` (a batch bumps a record's version once), which is
what existing rows get. An undo of a later batch now hands ``version_after`` on, so the version
before has to be kept on its own.
"""

from typing import Any

from django.db import migrations, models
from django.db.models import F


def fill(apps: Any, schema_editor: Any) -> None:
    BatchChange = apps.get_model("core", "BatchChange")
    BatchChange.objects.filter(version_after__isnull=False).update(
        version_before=F("version_after") - 1
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_search_index_per_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="batchchange",
            name="version_before",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
