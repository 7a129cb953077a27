"""Tags, custom fields, group rules and saved views move from clients to records with their rows,
and back: forward and backward on this database (SQLite or PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Unapplying records unapplies what builds on it too (the clients' half of the move).
BEFORE: list[tuple[str, str | None]] = [("records", None)]
BEFORE_STATE = [
    ("clients", "0009_audit_names_become_links"),
    ("accounts", "0004_entity_from_the_registry"),
    ("core", "0006_batchchange_version_before"),
]
#: the move itself: the clients app hands its tables to records
MOVED = [("clients", "0010_platform_models_move_to_records")]


def _migrate(targets: list[tuple[str, str | None]], state: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(state).apps


def _leaves() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_settings_of_records_move_to_records_with_their_rows_and_back(db: Any) -> None:
    # Given the card file as it was, its tags, fields, rules and views in the clients app
    old = _migrate(BEFORE, BEFORE_STATE)
    assert old.get_model("clients", "Tag")._meta.db_table == "clients_tag"
    branch = old.get_model("accounts", "Branch").objects.create(name="Тверь")
    owner = old.get_model("accounts", "User").objects.create(username="old", branch=branch)
    tag = old.get_model("clients", "Tag").objects.create(name="VIP", color="#0b7a75")
    company = old.get_model("clients", "Company").objects.create(name="ООО «Старая»", branch=branch)
    company.tags.add(tag)
    old.get_model("clients", "CustomField").objects.create(
        entity="companies", code="segment", label="Сегмент", type="text"
    )
    old.get_model("clients", "GroupRule").objects.create(
        name="VIP в Твери",
        entity="companies",
        field="city",
        value="Тверь",
        effect="add_tag",
        tag=tag,
    )
    old.get_model("clients", "SavedView").objects.create(
        name="Мои", entity="companies", owner=owner, query="sort=name"
    )
    content_types = old.get_model("contenttypes", "ContentType")
    tag_type, _created = content_types.objects.get_or_create(app_label="clients", model="tag")
    old.get_model("core", "AuditEntry").objects.create(
        action="create", content_type=tag_type, object_id=tag.pk, object_repr="VIP"
    )

    # When the migrations run (as far as the move: the last step runs the rest of the chain)
    new = _migrate(MOVED, MOVED)

    # Then the same rows are the records app's, linked as before
    moved = new.get_model("records", "Tag").objects.get(pk=tag.pk)
    assert (moved.name, moved.color) == ("VIP", "#0b7a75")
    assert list(new.get_model("clients", "Company").objects.get(pk=company.pk).tags.all()) == [
        moved
    ]
    assert new.get_model("records", "GroupRule").objects.get().tag_id == tag.pk
    assert new.get_model("records", "CustomField").objects.get().code == "segment"
    assert new.get_model("records", "SavedView").objects.get().query == "sort=name"
    # and a tag's audit trail follows it
    entry = new.get_model("core", "AuditEntry").objects.get(object_repr="VIP")
    entry_type = new.get_model("contenttypes", "ContentType").objects.get(pk=entry.content_type_id)
    assert (entry_type.app_label, entry_type.model) == ("records", "tag")

    # And back: the rows are the clients app's again
    back = _migrate(BEFORE, BEFORE_STATE)
    assert back.get_model("clients", "Tag").objects.get(pk=tag.pk).name == "VIP"
    assert back.get_model("clients", "GroupRule").objects.get().tag_id == tag.pk
    entry = back.get_model("core", "AuditEntry").objects.get(object_repr="VIP")
    entry_type = back.get_model("contenttypes", "ContentType").objects.get(pk=entry.content_type_id)
    assert entry_type.app_label == "clients"

    new = _migrate(_leaves(), _leaves())
    assert new.get_model("records", "Tag").objects.get(pk=tag.pk).name == "VIP"
    assert new.get_model("records", "GroupRule").objects.get().tag_id == tag.pk
