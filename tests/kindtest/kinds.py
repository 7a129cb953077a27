"""The gadgets' registration: everything the platform needs to know about them, and no more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from kartoteka.accounts.builtin_roles import SALES_RECORD
from kartoteka.core import access, kinds, search
from kartoteka.core.kinds import BRANCH, DATETIME, LIST, PERSON, Field
from kartoteka.core.search.text import document_text
from kartoteka.records.duplicates import same_text
from kartoteka.records.services.merge import move_shares, move_tags
from tests.kindtest.models import Gadget

FIELDS = (
    Field("id", "ID", export=True),
    Field("name", "Name", form=True, api=True, sort="name", export=True, rule=True),
    Field(
        "tags",
        "Tags",
        type=LIST,
        filter="tags__name",
        param="tag",
        export=lambda g: ", ".join(sorted(t.name for t in g.tags.all())),
    ),
    Field("owner", "Owner", type=PERSON, filter="owner_id", column="owner", export=True),
    Field("branch", "Branch", type=BRANCH, filter="branch_id", column="branch", export=True),
    Field("created_at", "Added", type=DATETIME, sort="created", export=True),
)


def documents(ids: Sequence[int]) -> dict[int, str]:
    texts = {}
    for gadget in Gadget.objects.filter(pk__in=list(ids)).prefetch_related("tags"):
        custom = [v for v in (gadget.custom_fields or {}).values() if isinstance(v, str)]
        tags = [tag.name for tag in gadget.tags.all()]
        texts[gadget.pk] = document_text([gadget.name, *tags, *custom])
    return texts


def listing(user: Any) -> QuerySet[Gadget]:
    return access.scoped(Gadget.objects.all(), user)


def hit(gadget: Gadget) -> search.Hit:
    return search.Hit(
        id=gadget.pk,
        type="gadget",
        title=gadget.name,
        subtitle="",
        url=reverse("kindtest:gadget-detail", args=[gadget.pk]),
    )


def register() -> None:
    kinds.register_kind(
        kinds.RecordKind(
            model=Gadget,
            entity="gadgets",
            code="gadget",
            label="gadget",
            plural="gadgets",
            list_url="kindtest:gadget-list",
            detail_url="kindtest:gadget-detail",
            fields=FIELDS,
            columns=("owner", "branch"),
            default_columns=("owner",),
            search=search.Source(
                kind="gadget",
                group="gadgets",
                model=Gadget,
                documents=documents,
                listing=listing,
                hit=hit,
                ordering=("name", "pk"),
                names=("name",),
            ),
            link_movers=(("tags", move_tags), ("shares", move_shares)),
            merged_fields=("name",),
            duplicate_reasons=(same_text("name", "Same name", "same name"),),
            builtin_grants=SALES_RECORD,
            position=30,
        )
    )
