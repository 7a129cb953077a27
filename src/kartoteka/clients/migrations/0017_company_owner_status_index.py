from typing import Any

from django.db import migrations, models


def measure_new_index(apps: Any, schema_editor: Any) -> None:
    # As in 0015: a SQLite database analysed before has no statistics for a new index, and its
    # planner may then pass it over.
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return  # PostgreSQL keeps its statistics per column, not per index
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute('ANALYZE "clients_company"')


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0016_name_sort_indexes_end_with_id"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="company",
            index=models.Index(
                condition=models.Q(deleted_at__isnull=True),
                fields=["owner", "status", "name", "id"],
                name="company_owner_status_idx",
            ),
        ),
        migrations.RunPython(measure_new_index, migrations.RunPython.noop, elidable=True),
    ]
