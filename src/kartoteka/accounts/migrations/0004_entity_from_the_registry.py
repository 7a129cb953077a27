"""The access table's entities are whatever the apps register (kartoteka.core.kinds): a role
grant's entity is checked against them instead of a closed list of choices. No table changes."""

from django.db import migrations, models

import kartoteka.accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_explicit_settings_and_batches_rights"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rolegrant",
            name="entity",
            field=models.CharField(
                max_length=30,
                validators=[kartoteka.accounts.models.validate_entity],
                verbose_name="entity",
            ),
        ),
    ]
