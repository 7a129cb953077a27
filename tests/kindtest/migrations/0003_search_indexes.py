"""The gadgets' search indexes (see kartoteka.core.search.indexes)."""

from django.db import migrations

from kartoteka.core.search import indexes


class Migration(migrations.Migration):
    dependencies = [
        ("kindtest", "0002_builtin_grants"),
        ("core", "0006_batchchange_version_before"),
    ]

    operations = [migrations.RunPython(*indexes.operations_for("gadget"))]
