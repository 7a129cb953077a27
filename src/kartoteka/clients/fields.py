"""The field lists of companies and contacts: one per kind, read by everything that names fields.

The card's form and the API's serializer take their field names from here; the list's filters,
sort and columns, the bulk "replace a value", group rules and the CSV export take everything
(see :class:`kartoteka.core.kinds.Field`). Labels left out are the model fields' verbose names.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kartoteka.core.kinds import BRANCH, CHOICE, DATE, DATETIME, LIST, PERSON, Field


def _joined(items: Any, show: Any) -> str:
    return ", ".join(show(item) for item in items.all())


def _phones(record: Any) -> str:
    return _joined(record.phones, lambda phone: phone.display)


def _emails(record: Any) -> str:
    return _joined(record.emails, lambda email: email.address)


def _tags(record: Any) -> str:
    return ", ".join(sorted(tag.name for tag in record.tags.all()))


def _jobs(record: Any) -> str:
    # Prefetched under the access rule: companies the exporter may not see are not named.
    return "; ".join(
        f"{job.company.name}, {job.position}" if job.position else job.company.name
        for job in record.employments.all()
    )


def _messengers(record: Any) -> str:
    return ", ".join(f"{m.get('kind', '')}: {m.get('handle', '')}" for m in record.messengers)


def _consent(record: Any) -> str:
    return str(_("yes") if record.email_consent else _("no"))


# What every card file record has after its own fields: lists, owner and branch, dates.
_ID = Field("id", "ID", export=True)
_LISTS = (
    Field("phone", _("Phone"), column="phone"),
    Field("email", _("Email"), column="email"),
    Field("phones", _("Phones"), type=LIST, api=True, export=_phones),
    Field("emails", _("Emails"), type=LIST, api=True, export=_emails),
    Field("tags", _("Tags"), type=LIST, api=True, filter="tags__name", param="tag", export=_tags),
)
_PLACE_AND_DATES = (
    Field(
        "owner",
        type=PERSON,
        form=True,
        api=True,
        filter="owner_id",
        column="owner",
        export=True,
        rule=True,
    ),
    Field(
        "branch", type=BRANCH, form=True, api=True, filter="branch_id", column="branch", export=True
    ),
    Field(
        "created_at",
        _("Added"),
        type=DATETIME,
        sort="created",
        column="created",
        column_label=_("Created"),
        export=True,
    ),
    Field("updated_at", _("Changed"), type=DATETIME, export=True),
)

COMPANY_FIELDS: tuple[Field, ...] = (
    _ID,
    Field("name", form=True, api=True, sort="name", export=True),
    Field("legal_form", form=True, api=True, export=True, rule=True),
    Field("inn", form=True, api=True, column="inn", export=True),
    Field("kpp", form=True, api=True, export=True),
    Field("ogrn", form=True, api=True, export=True),
    Field(
        "status",
        type=CHOICE,
        form=True,
        api=True,
        bulk=True,
        filter="status",
        sort="status",
        column="status",
        export=True,
        rule=True,
    ),
    Field(
        "industry",
        form=True,
        api=True,
        bulk=True,
        filter="industry__folded",
        column="industry",
        export=True,
        rule=True,
    ),
    Field(
        "region", form=True, api=True, bulk=True, filter="region__folded", export=True, rule=True
    ),
    Field(
        "city",
        form=True,
        api=True,
        bulk=True,
        filter="city__folded",
        sort="city",
        column="city",
        export=True,
        rule=True,
    ),
    Field("legal_address", form=True, api=True, export=True),
    Field("postal_address", form=True, api=True, export=True),
    Field("website", form=True, api=True, export=True),
    Field(
        "source",
        form=True,
        api=True,
        bulk=True,
        filter="source__folded",
        column="source",
        export=True,
        rule=True,
    ),
    Field("notes", form=True, api=True, export=True),
    *_LISTS,
    *_PLACE_AND_DATES,
)
COMPANY_COLUMNS = (
    "inn",
    "phone",
    "email",
    "city",
    "status",
    "industry",
    "source",
    "owner",
    "branch",
    "created",
)
COMPANY_DEFAULT_COLUMNS = ("inn", "phone", "city", "status", "owner", "branch")

CONTACT_FIELDS: tuple[Field, ...] = (
    _ID,
    # The list sorts people by full name under the key "name", as it sorts companies.
    Field(
        "last_name",
        form=True,
        api=True,
        sort="name",
        sort_then=("first_name", "middle_name"),
        export=True,
    ),
    Field("first_name", form=True, api=True, export=True),
    Field("middle_name", form=True, api=True, export=True),
    Field("birthday", type=DATE, form=True, api=True, column="birthday", export=True),
    Field("company", _("Company"), column="company"),
    Field("companies", _("Companies"), type=LIST, api=True, export=_jobs),
    Field("employments", _("Companies"), type=LIST, api=True),
    # The list's "city" filter looks in the address: people have no city of their own.
    Field(
        "address",
        form=True,
        api=True,
        bulk=True,
        filter="address__folded",
        param="city",
        export=True,
        rule=True,
    ),
    Field("messengers", _("Messengers"), type=LIST, api=True, export=_messengers),
    Field("preferences", form=True, api=True, export=True),
    Field("email_consent", form=True, api=True, export=_consent),
    *_LISTS,
    Field("related_persons", _("Related persons"), type=LIST, api=True),
    *_PLACE_AND_DATES,
)
CONTACT_COLUMNS = ("company", "phone", "email", "birthday", "owner", "branch", "created")
CONTACT_DEFAULT_COLUMNS = ("company", "phone", "birthday", "owner", "branch")
