"""Search indexes of their own for company and contact documents (core/search/indexes.py)."""

from django.db import migrations

from kartoteka.core.search import indexes


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0006_list_sort_indexes"),
        ("core", "0005_search_index_per_kind"),
    ]

    operations = [migrations.RunPython(*indexes.operations_for("company", "contact"))]
