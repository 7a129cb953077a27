"""Phones keep their last four digits in a stored generated column with an index, so a search
for "7969" finds the numbers that end with it without reading every phone.

The database computes the column for the phones already there when it is added (the backfill)
and for every phone written afterwards; unapplying drops the index and the column.
"""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0010_platform_models_move_to_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="companyphone",
            name="last_digits",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Right("number", 4),
                output_field=models.CharField(max_length=4),
            ),
        ),
        migrations.AddField(
            model_name="contactphone",
            name="last_digits",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Right("number", 4),
                output_field=models.CharField(max_length=4),
            ),
        ),
        migrations.AddIndex(
            model_name="companyphone",
            index=models.Index(fields=["last_digits"], name="clients_companyphone_last"),
        ),
        migrations.AddIndex(
            model_name="contactphone",
            index=models.Index(fields=["last_digits"], name="clients_contactphone_last"),
        ),
    ]
