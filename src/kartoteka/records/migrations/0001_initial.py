"""Tags, custom fields, group rules and saved views move from clients to records, every record
kind's platform: state only, the tables (clients_tag ...) and their rows stay as they are."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables exist already: they are the clients app's, and keep their names and data.
        ("clients", "0009_audit_names_become_links"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Tag",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=60, unique=True, verbose_name="name")),
                        (
                            "color",
                            models.CharField(
                                default="#1d5fc4",
                                max_length=7,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^#[0-9a-fA-F]{6}$", "A colour like #1d5fc4."
                                    )
                                ],
                                verbose_name="colour",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "tag",
                        "verbose_name_plural": "tags",
                        "db_table": "clients_tag",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="CustomField",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "entity",
                            models.CharField(
                                choices=[("companies", "companies"), ("contacts", "contacts")],
                                max_length=20,
                                verbose_name="for",
                            ),
                        ),
                        ("code", models.SlugField(verbose_name="code")),
                        ("label", models.CharField(max_length=100, verbose_name="label")),
                        (
                            "type",
                            models.CharField(
                                choices=[
                                    ("text", "text"),
                                    ("number", "number"),
                                    ("money", "money"),
                                    ("date", "date"),
                                    ("choice", "choice"),
                                    ("multiple", "multiple choice"),
                                    ("boolean", "yes/no"),
                                    ("link", "link"),
                                ],
                                max_length=10,
                                verbose_name="type",
                            ),
                        ),
                        (
                            "choices",
                            models.JSONField(blank=True, default=list, verbose_name="choices"),
                        ),
                        (
                            "is_required",
                            models.BooleanField(default=False, verbose_name="required"),
                        ),
                        (
                            "position",
                            models.PositiveSmallIntegerField(default=0, verbose_name="position"),
                        ),
                    ],
                    options={
                        "verbose_name": "custom field",
                        "verbose_name_plural": "custom fields",
                        "db_table": "clients_customfield",
                        "ordering": ["entity", "position", "id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("entity", "code"), name="custom_field_unique_code"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SavedView",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "entity",
                            models.CharField(
                                choices=[("companies", "companies"), ("contacts", "contacts")],
                                max_length=20,
                                verbose_name="for",
                            ),
                        ),
                        (
                            "is_shared",
                            models.BooleanField(default=False, verbose_name="shared with everyone"),
                        ),
                        ("query", models.CharField(blank=True, max_length=2000)),
                        ("columns", models.JSONField(blank=True, default=list)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "owner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "saved view",
                        "verbose_name_plural": "saved views",
                        "db_table": "clients_savedview",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="GroupRule",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=150, verbose_name="name")),
                        (
                            "entity",
                            models.CharField(
                                choices=[("companies", "companies"), ("contacts", "contacts")],
                                max_length=20,
                                verbose_name="for",
                            ),
                        ),
                        ("field", models.CharField(max_length=100, verbose_name="field")),
                        (
                            "operator",
                            models.CharField(
                                choices=[("equals", "equals"), ("contains", "contains")],
                                default="equals",
                                max_length=10,
                                verbose_name="condition",
                            ),
                        ),
                        ("value", models.CharField(max_length=200, verbose_name="value")),
                        (
                            "effect",
                            models.CharField(
                                choices=[
                                    ("add_tag", "add the tag"),
                                    ("set_owner", "make the owner"),
                                ],
                                max_length=10,
                                verbose_name="then",
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        (
                            "position",
                            models.PositiveSmallIntegerField(default=0, verbose_name="order"),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "owner",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="owner",
                            ),
                        ),
                        (
                            "tag",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="records.tag",
                                verbose_name="tag",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "group rule",
                        "verbose_name_plural": "group rules",
                        "db_table": "clients_grouprule",
                        "ordering": ["entity", "position", "id"],
                    },
                ),
            ],
        ),
    ]
