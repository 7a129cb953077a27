from django.db import migrations, models

from kartoteka.core.db.statistics import measure_new_indexes


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
        migrations.RunPython(
            measure_new_indexes("clients_company"), migrations.RunPython.noop, elidable=True
        ),
    ]
