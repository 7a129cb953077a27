"""Custom fields, group rules and saved views are for any registered record kind (checked against
kartoteka.core.kinds) instead of a closed list of companies and contacts. No table changes."""

from django.db import migrations, models

import kartoteka.records.models.custom_fields


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customfield",
            name="entity",
            field=models.CharField(
                max_length=20,
                validators=[kartoteka.records.models.custom_fields.validate_record_kind],
                verbose_name="for",
            ),
        ),
        migrations.AlterField(
            model_name="grouprule",
            name="entity",
            field=models.CharField(
                max_length=20,
                validators=[kartoteka.records.models.custom_fields.validate_record_kind],
                verbose_name="for",
            ),
        ),
        migrations.AlterField(
            model_name="savedview",
            name="entity",
            field=models.CharField(
                max_length=20,
                validators=[kartoteka.records.models.custom_fields.validate_record_kind],
                verbose_name="for",
            ),
        ),
    ]
