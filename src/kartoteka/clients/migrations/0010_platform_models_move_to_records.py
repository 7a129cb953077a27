"""Tags, custom fields, group rules and saved views now belong to the records app.

State only: the tables keep their names (clients_tag ...) and rows, and companies' and contacts'
tags point at the same table as before. The content types move with the models, so the audit
trail of a tag or a rule still finds its entries (and permissions keep their content type).
"""

from django.db import migrations, models

MOVED = ("tag", "customfield", "grouprule", "savedview")


def _move_content_types(apps, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEntry = apps.get_model("core", "AuditEntry")
    for model in MOVED:
        old = ContentType.objects.filter(app_label=old_label, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=new_label, model=model).first()
        if new is None:
            old.app_label = new_label
            old.save(update_fields=["app_label"])
            continue
        # Both exist (the new one made by an earlier migrate): the trail follows the new one.
        AuditEntry.objects.filter(content_type=old).update(content_type=new)
        old.delete()


def forward(apps, schema_editor):
    _move_content_types(apps, "clients", "records")


def backward(apps, schema_editor):
    _move_content_types(apps, "records", "clients")


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0009_audit_names_become_links"),
        ("records", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0006_batchchange_version_before"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="company",
                    name="tags",
                    field=models.ManyToManyField(
                        blank=True, related_name="companies", to="records.tag", verbose_name="tags"
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="tags",
                    field=models.ManyToManyField(
                        blank=True, related_name="contacts", to="records.tag", verbose_name="tags"
                    ),
                ),
                migrations.RemoveField(model_name="savedview", name="owner"),
                migrations.DeleteModel(name="CustomField"),
                migrations.DeleteModel(name="GroupRule"),
                migrations.DeleteModel(name="SavedView"),
                migrations.DeleteModel(name="Tag"),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
