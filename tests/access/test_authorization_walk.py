"""The authorization walk: every route, every method, every persona, against a small world.

The world holds, for companies and contacts alike, one record visible to manager_a (Moscow), one
hidden from Moscow (owned by manager_b in Kazan) and one in the trash; the visible records are
linked to the hidden and trashed ones (jobs, shares, batches, history). Each persona sends every
method to every route, aimed at each of those records, with a body that would change something
if the door were open (hostile ids included). After each request we check, with the request
rolled back afterwards so every request sees the same world:

- no server error;
- a record the persona may not see answers like a missing one (404, or 403/405 for doors that
  are shut to the persona whatever the record) and its name appears in no response;
- nothing the persona may not change has changed in the database (compared row by row).

A new route fails :func:`test_every_route_is_walked` until it is given targets in ``TARGETS``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kartoteka.accounts.models import ApiToken, Role, RoleGrant, Team, User
from kartoteka.activities.models import (
    Activity,
    CalendarEvent,
    EventParticipant,
    RefusalReason,
    Task,
)
from kartoteka.clients.models import Company, Contact, Employment, RelatedPerson
from kartoteka.core import audit, search
from kartoteka.core.models import AuditEntry, Batch, JobRun, Notification, RecordShare
from kartoteka.records.models import CustomField, GroupRule, SavedView, Tag
from kartoteka.records.services.bulk import bulk_tag
from tests.conftest import SIGNED_IN, Personas
from tests.factories.accounts import UserFactory
from tests.factories.clients import CompanyFactory, ContactFactory
from tests.kindtest.models import Gadget

WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# Writes that touch nothing :func:`state` reads: a token's last use and the client's own session.
# Most requests make one, and reading the whole state after each would double the walk's time.
BOOKKEEPING = re.compile(
    r'\s*(UPDATE "accounts_apitoken" SET "last_used_at" = [^,]* WHERE'
    r'|(INSERT INTO|UPDATE) "django_session" )',
    re.IGNORECASE,
)
# "patch-plain" is a PATCH of one ordinary field; "patch" carries the fields that move access.
METHODS = ("get", "post", "put", "patch", "patch-plain", "delete")
PERSONAS = ("anonymous", *SIGNED_IN)

NAMES = {
    "CV": "ООО «Видимая»",
    "CH": "ООО «Скрытая»",
    "CT": "ООО «Удалённая»",
    "PV": "Видимов",
    "PH": "Скрытов",
    "PT": "Удалёнов",
    "PS": "Общинов",
    "GV": "Гаджет видимый",
    "GH": "Гаджет скрытый",
    "AV": "Звонок о видимой",
    "AH": "Звонок о скрытой",
    "TV": "Задача видимая",
    "TH": "Задача скрытая",
    "EV": "Встреча видимая",
    "EH": "Встреча скрытая",
}
MANAGER_B_NAME = "Казанцева"

# Who may see and change which record, written out from the README's roles table and issue 7
# (not derived from the code). V* = Moscow records of manager_a (CV is also shared with
# colleague_a, a sales manager outside manager_a's team); H* = Kazan records of manager_b;
# PS = a contact of another Kazan manager shared with the whole Moscow branch; *T = trashed.
# G* are gadgets, the test-only record kind (tests/kindtest): they follow the same rule.
V = {"CV", "CV2", "PV", "PV2", "GV"}
H = {"CH", "PH", "GH"}
S = {"PS"}
SEES_ALL = {"admin", "head", "marketer", "auditor"}
VIEW: dict[str, set[str]] = {
    **{p: V | H | S for p in SEES_ALL},
    "branch_head_a": V | S,
    "manager_a": V | S,
    "service_a": V | S,
    "teammate_a": S,
    "colleague_a": {"CV"} | S,
    "manager_b": H,
}
# Activities (A*) follow their company (AV is about CV, AH about CH) for everyone with an
# activities grant; tasks (T*) are their assignee's (own scope for managers, agents and
# marketers); calendar events (E*) are seen branch-wide by every role with a calendar.
_ACTIVITY_VIEW = {
    p: ({"AV"} if "CV" in keys else set()) | ({"AH"} if "CH" in keys else set())
    for p, keys in VIEW.items()
}
_TASK_VIEW = {
    "admin": {"TV", "TH"},
    "head": {"TV", "TH"},
    "auditor": {"TV", "TH"},
    "branch_head_a": {"TV"},
    "manager_a": {"TV"},
    "manager_b": {"TH"},
}
_MOSCOW = (
    "admin",
    "head",
    "branch_head_a",
    "manager_a",
    "teammate_a",
    "colleague_a",
    "service_a",
    "marketer",
    "auditor",
)
_EVENT_VIEW = {
    **{p: {"EV"} for p in _MOSCOW},
    "admin": {"EV", "EH"},
    "head": {"EV", "EH"},
    "auditor": {"EV", "EH"},
    "manager_b": {"EH"},
}
for _p in PERSONAS:
    _extra = _ACTIVITY_VIEW.get(_p, set()) | _TASK_VIEW.get(_p, set()) | _EVENT_VIEW.get(_p, set())
    if _extra:
        VIEW[_p] = VIEW.get(_p, set()) | _extra
# Activities, tasks and events are changed by their author, assignee or organiser within the
# role's scope: branch heads in their branch, heads and administrators everywhere.
_OWN_WORK = {
    "admin": {"AV", "AH", "TV", "TH", "EV", "EH"},
    "head": {"AV", "AH", "TV", "TH", "EV", "EH"},
    "branch_head_a": {"AV", "TV", "EV"},
    "manager_a": {"AV", "TV", "EV"},
    "manager_b": {"AH", "TH", "EH"},
}
WORK = {"AV", "AH", "TV", "TH", "EV", "EH"}
# Everyone edits what they see (shares included), except the read-only roles: a share lets its
# recipients edit only if their role edits such records at all.
READ_ONLY = {"marketer", "auditor"}
EDIT: dict[str, set[str]] = {
    p: (keys - WORK) | _OWN_WORK.get(p, set()) for p, keys in VIEW.items() if p not in READ_ONLY
}
# Trashing (delete, or being merged away) needs the delete grant; a share never gives it.
DELETE: dict[str, set[str]] = {
    "admin": V | H | S,
    "head": V | H | S,
    "branch_head_a": V,
    "manager_a": V,
    "manager_b": H,
}
# Sharing and unsharing: the owner, or someone with the assign right on the record.
SHARE: dict[str, set[str]] = {p: set(keys) for p, keys in DELETE.items()}
for _p, _keys in _OWN_WORK.items():
    DELETE[_p] = DELETE.get(_p, set()) | _keys
RESTORES_TRASH = {"admin"}
# CT and PT were deleted by manager_a, who owns them: their own trash gives them back (issue 9).
RESTORES_OWN_TRASH = {"manager_a"}
MANAGES_SETTINGS = {"admin", "head"}  # lenient: settings rights of heads are a policy choice
MANAGES_PEOPLE = {"admin"}


@dataclass
class World:
    people: Personas
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def world(personas: Personas) -> World:
    manager_a, manager_b = personas.manager_a, personas.manager_b
    User.objects.filter(pk=manager_b.pk).update(last_name=MANAGER_B_NAME)
    manager_b.refresh_from_db()
    cv = CompanyFactory(owner=manager_a, name=NAMES["CV"])
    cv2 = CompanyFactory(owner=manager_a, name="ООО «Вторая»")
    ch = CompanyFactory(owner=manager_b, name=NAMES["CH"])
    ct = CompanyFactory(owner=manager_a, name=NAMES["CT"])
    pv = ContactFactory(owner=manager_a, last_name=NAMES["PV"], company=cv)
    pv2 = ContactFactory(owner=manager_a, last_name="Второв")
    ph = ContactFactory(owner=manager_b, last_name=NAMES["PH"], company=cv)
    pt = ContactFactory(owner=manager_a, last_name=NAMES["PT"])
    kazan_2 = UserFactory(
        username="kazan_2", branch=personas.branch_b, roles=["sales_manager"], last_name="Другая"
    )
    ps = ContactFactory(owner=kazan_2, last_name=NAMES["PS"])
    gv = Gadget.objects.create(owner=manager_a, branch=manager_a.branch, name=NAMES["GV"])
    gh = Gadget.objects.create(owner=manager_b, branch=manager_b.branch, name=NAMES["GH"])
    search.index_many(Gadget, [gv.pk, gh.pk])
    av = Activity.objects.create(
        owner=manager_a, branch=manager_a.branch, type="call", subject=NAMES["AV"], company=cv
    )
    ah = Activity.objects.create(
        owner=manager_b, branch=manager_b.branch, type="call", subject=NAMES["AH"], company=ch
    )
    tv = Task.objects.create(
        owner=manager_a, author=manager_a, branch=manager_a.branch, title=NAMES["TV"], company=cv
    )
    th = Task.objects.create(
        owner=manager_b, author=manager_b, branch=manager_b.branch, title=NAMES["TH"], company=ch
    )
    start = timezone.now() + timezone.timedelta(days=1)
    ev = CalendarEvent.objects.create(
        owner=manager_a,
        branch=manager_a.branch,
        title=NAMES["EV"],
        company=cv,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=1),
    )
    eh = CalendarEvent.objects.create(
        owner=manager_b,
        branch=manager_b.branch,
        title=NAMES["EH"],
        company=ch,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=1),
    )
    EventParticipant.objects.create(event=ev, user=manager_a)
    EventParticipant.objects.create(event=eh, user=manager_b)
    Employment.objects.create(contact=pv, company=ch, position="совместитель")
    Employment.objects.create(contact=pv, company=ct, position="бывший")
    Employment.objects.create(contact=ph, company=ch, position="директор")
    RelatedPerson.objects.create(contact=pv, name="Жена Видимова", relation="spouse")
    RelatedPerson.objects.create(contact=ph, name="Жена Скрытова", relation="spouse")
    now = timezone.now()
    Company.all_objects.filter(pk=ct.pk).update(deleted_at=now, deleted_by=manager_a)
    Contact.all_objects.filter(pk=pt.pk).update(deleted_at=now, deleted_by=manager_a)

    def share(record: Any, by: User, **target: Any) -> RecordShare:
        return RecordShare.objects.create(
            content_type=ContentType.objects.get_for_model(record._meta.model),
            object_id=record.pk,
            created_by=by,
            **target,
        )

    # With the head of sales, who sees everything anyway; and within Kazan.
    share_cv = share(cv, manager_a, user=personas.head)
    share_ch = share(ch, manager_b, branch=personas.branch_b)
    share_pv = share(pv, manager_a, user=personas.head)
    share_ph = share(ph, manager_b, branch=personas.branch_b)
    share_cv_colleague = share(cv, manager_a, user=personas.colleague_a)
    share_ps = share(ps, kazan_2, branch=personas.branch_a)
    batch_v = bulk_tag(actor=manager_a, model=Company, ids=[cv.pk], tag="Москва-VIP")
    batch_h = bulk_tag(actor=manager_b, model=Company, ids=[ch.pk], tag="Казань-VIP")
    view_v = SavedView.objects.create(name="Мои", entity="companies", owner=manager_a)
    view_h = SavedView.objects.create(name="Казанские", entity="companies", owner=manager_b)
    ApiToken.objects.all().delete()
    from kartoteka.accounts.services import token_create

    token_create(actor=None, user=manager_a, name="a")
    token_create(actor=None, user=manager_b, name="b")
    token_v = ApiToken.objects.get(user=manager_a)
    token_h = ApiToken.objects.get(user=manager_b)
    field_ = CustomField.objects.create(
        entity="companies", code="segment", label="Сегмент", type="text"
    )
    tag = Tag.objects.get(name="Москва-VIP")
    rule = GroupRule.objects.create(
        name="Казань", entity="companies", field="city", value="Казань", effect="add_tag", tag=tag
    )
    audit_h = audit.record(
        actor=manager_b, action=AuditEntry.Action.UPDATE, obj=ch, changes={"city": ["", "Казань"]}
    )
    audit_v = audit.record(
        actor=manager_a, action=AuditEntry.Action.UPDATE, obj=cv, changes={"city": ["", "Москва"]}
    )
    reason = RefusalReason.objects.create(name="Дорого", position=10)
    job_v = JobRun.objects.create(kind="search.rebuild", title="Перестройка", started_by=manager_a)
    job_h = JobRun.objects.create(kind="search.rebuild", title="Казанская", started_by=manager_b)
    note_v = Notification.objects.create(
        user=manager_a, kind="task_reminder", title="Напоминание Иванове", key="walk-v"
    )
    note_h = Notification.objects.create(
        user=manager_b, kind="task_reminder", title="Напоминание Казанцевой", key="walk-h"
    )
    ids = {
        "CV": cv.pk,
        "CV2": cv2.pk,
        "CH": ch.pk,
        "CT": ct.pk,
        "PV": pv.pk,
        "PV2": pv2.pk,
        "PH": ph.pk,
        "PT": pt.pk,
        "PS": ps.pk,
        "GV": gv.pk,
        "GH": gh.pk,
        "AV": av.pk,
        "AH": ah.pk,
        "TV": tv.pk,
        "TH": th.pk,
        "EV": ev.pk,
        "EH": eh.pk,
        "share_CV_colleague": share_cv_colleague.pk,
        "share_PS": share_ps.pk,
        "share_CV": share_cv.pk,
        "share_CH": share_ch.pk,
        "share_PV": share_pv.pk,
        "share_PH": share_ph.pk,
        "batch_V": batch_v.pk,
        "batch_H": batch_h.pk,
        "view_V": view_v.pk,
        "view_H": view_h.pk,
        "token_V": token_v.pk,
        "token_H": token_h.pk,
        "user_V": manager_a.pk,
        "user_H": manager_b.pk,
        "field": field_.pk,
        "rule": rule.pk,
        "tag": tag.pk,
        "audit_V": audit_v.pk,
        "audit_H": audit_h.pk,
        "reason": reason.pk,
        "job_V": job_v.pk,
        "job_H": job_h.pk,
        "note_V": note_v.pk,
        "note_H": note_h.pk,
        "role_admin": Role.objects.get(code="administrator").pk,
        "role_manager": Role.objects.get(code="sales_manager").pk,
        "branch_A": personas.branch_a.pk,
        "branch_B": personas.branch_b.pk,
        "team_A": personas.team_a.pk,
    }
    return World(people=personas, ids=ids)


# --- Targets: how each route is aimed at the world --------------------------------------------
# A target is (kwargs, key of the record it is about or "" when it is about nothing hidden).
Target = tuple[dict[str, Any], str]


def _records(prefix: str) -> Callable[[World], list[Target]]:
    def make(world: World) -> list[Target]:
        keys = [f"{prefix}V", f"{prefix}H", f"{prefix}T"] + (["PS"] if prefix == "P" else [])
        return [({"pk": world.ids[k]}, k) for k in keys]

    return make


def _pairs(prefix: str) -> Callable[[World], list[Target]]:
    # Pages name the other record of a merge in the path, the API in the body (see _requests).
    def make(world: World) -> list[Target]:
        i = world.ids
        v, v2, h, t = i[f"{prefix}V"], i[f"{prefix}V2"], i[f"{prefix}H"], i[f"{prefix}T"]
        return [
            ({"pk": v, "other": v2}, ""),
            ({"pk": v, "other": h}, f"{prefix}H"),
            ({"pk": h, "other": v}, f"{prefix}H"),
            ({"pk": v, "other": t}, f"{prefix}T"),
        ] + ([({"pk": v, "other": i["PS"]}, "PS")] if prefix == "P" else [])

    return make


def _unshare(prefix: str) -> Callable[[World], list[Target]]:
    def make(world: World) -> list[Target]:
        i = world.ids
        v, h = i[f"{prefix}V"], i[f"{prefix}H"]
        targets: list[Target] = [
            ({"pk": v, "share_id": i[f"share_{prefix}V"]}, ""),
            ({"pk": v, "share_id": i[f"share_{prefix}H"]}, f"{prefix}H"),
            ({"pk": h, "share_id": i[f"share_{prefix}H"]}, f"{prefix}H"),
        ]
        if prefix == "C":  # colleague_a removing the share they were given
            targets.append(({"pk": v, "share_id": i["share_CV_colleague"]}, "CV"))
        else:  # Moscow removing the Kazan share it was given
            targets.append(({"pk": i["PS"], "share_id": i["share_PS"]}, "PS"))
        return targets

    return make


def _pair_of(key_v: str, key_h: str) -> Callable[[World], list[Target]]:
    def make(world: World) -> list[Target]:
        return [({"pk": world.ids[key_v]}, key_v), ({"pk": world.ids[key_h]}, key_h)]

    return make


def _one(key: str) -> Callable[[World], list[Target]]:
    return lambda world: [({"pk": world.ids[key]}, "")]


def _trash(world: World) -> list[Target]:
    i = world.ids
    return [
        ({"label": "clients.company", "pk": i["CT"]}, "CT"),
        ({"label": "clients.contact", "pk": i["PT"]}, "PT"),
        ({"label": "clients.company", "pk": i["CH"]}, "CH"),
        ({"label": "clients.company", "pk": i["CV"]}, ""),
        ({"label": "accounts.user", "pk": i["user_H"]}, "user_H"),
    ]


def _inline(prefix: str, name: str) -> Callable[[World], list[Target]]:
    # One field of a card edited in place: the record's own rule, whichever field.
    def make(world: World) -> list[Target]:
        return [({**kwargs, "name": name}, key) for kwargs, key in _records(prefix)(world)]

    return make


def _log(prefix: str) -> Callable[[World], list[Target]]:
    # Logging a call (or an inquiry) about a client: the client's own rule.
    def make(world: World) -> list[Target]:
        return [
            ({**kwargs, "type": kind}, key)
            for kwargs, key in _records(prefix)(world)
            for kind in ("call", "inquiry")
        ]

    return make


def _none(world: World) -> list[Target]:
    return [({}, "")]


TARGETS: dict[str, Callable[[World], list[Target]]] = {
    "home": _none,
    "health": _none,
    "accounts:login": _none,
    "accounts:set-language": lambda world: [({"code": "ru"}, "")],
    "accounts:logout": _none,
    "accounts:profile": _none,
    "accounts:density": _none,
    "accounts:token-revoke": _pair_of("token_V", "token_H"),
    "accounts:settings": _none,
    "accounts:user-list": _none,
    "accounts:user-create": _none,
    "accounts:user-edit": _pair_of("user_V", "user_H"),
    "accounts:role-list": _none,
    "accounts:role-create": _none,
    "accounts:role-edit": lambda world: [({"pk": world.ids["role_manager"]}, "")],
    "accounts:branch-list": _none,
    "core:audit": _none,
    "records:trash": _none,
    "records:trash-restore": _trash,
    # A token names an act of this session only; another's or a made-up one undoes nothing.
    "records:undo": lambda world: [({"token": "made-up"}, "")],
    "records:batch-list": _none,
    "records:batch-undo": _pair_of("batch_V", "batch_H"),
    "records:handover": _pair_of("user_V", "user_H"),
    "core:job-detail": _pair_of("job_V", "job_H"),
    "clients:search": _none,
    "clients:search-box": _none,
    "records:saved-view-create": _none,
    "records:saved-view-delete": _pair_of("view_V", "view_H"),
    "records:duplicates": _none,
    "clients:company-list": _none,
    "clients:company-create": _none,
    "clients:company-detail": _records("C"),
    "clients:company-edit": _records("C"),
    "clients:company-delete": _records("C"),
    "clients:company-share": _records("C"),
    "clients:company-inline": _inline("C", "city"),
    "clients:company-unshare": _unshare("C"),
    "clients:company-duplicates-check": _none,
    "clients:company-merge": _pairs("C"),
    "clients:contact-list": _none,
    "clients:contact-create": _none,
    "clients:contact-detail": _records("P"),
    "clients:contact-edit": _records("P"),
    "clients:contact-delete": _records("P"),
    "clients:contact-inline": _inline("P", "last_name"),
    "clients:contact-share": _records("P"),
    "clients:contact-unshare": _unshare("P"),
    "clients:contact-duplicates-check": _none,
    "clients:contact-merge": _pairs("P"),
    "records:company-export": _none,
    "records:contact-export": _none,
    "records:company-bulk": _none,
    "records:company-bulk-count": _none,
    "records:contact-bulk": _none,
    "records:contact-bulk-count": _none,
    "records:custom-field-list": _none,
    "records:custom-field-create": _none,
    "records:custom-field-edit": _one("field"),
    "records:custom-field-delete": _one("field"),
    "records:custom-field-move": _one("field"),
    "records:group-rule-list": _none,
    "records:group-rule-create": _none,
    "records:group-rule-edit": _one("rule"),
    "records:group-rule-apply": _one("rule"),
    "records:group-rule-move": _one("rule"),
    "records:group-rule-delete": _one("rule"),
    "records:tag-list": _none,
    "records:tag-create": _none,
    "records:tag-edit": _one("tag"),
    "records:tag-delete": _one("tag"),
    # The test-only record kind: its own pages, and what it gets by registering.
    "kindtest:gadget-list": _none,
    "kindtest:gadget-detail": _pair_of("GV", "GH"),
    "records:gadget-export": _none,
    "records:gadget-bulk": _none,
    "records:gadget-bulk-count": _none,
    # Activities, tasks and the calendar.
    "activities:activity-list": _none,
    "activities:activity-detail": _pair_of("AV", "AH"),
    "activities:task-list": _none,
    "activities:task-detail": _pair_of("TV", "TH"),
    "activities:task-create": _none,
    "activities:task-complete": _pair_of("TV", "TH"),
    "activities:task-reopen": _pair_of("TV", "TH"),
    "activities:task-snooze": _pair_of("TV", "TH"),
    "activities:task-checklist": _pair_of("TV", "TH"),
    "activities:task-comment": _pair_of("TV", "TH"),
    "activities:task-delete": _pair_of("TV", "TH"),
    "activities:calendar": _none,
    "activities:calendar-events": _none,
    "activities:event-create": _none,
    "activities:event-detail": _pair_of("EV", "EH"),
    "activities:important-dates": _none,
    "activities:activity-edit": _pair_of("AV", "AH"),
    "activities:activity-delete": _pair_of("AV", "AH"),
    "activities:company-timeline": _records("C"),
    "activities:contact-timeline": _records("P"),
    "activities:company-log": _log("C"),
    "activities:contact-log": _log("P"),
    "activities:refusal-reason-list": _none,
    "activities:refusal-reason-create": _none,
    "activities:refusal-reason-edit": _one("reason"),
    "activities:refusal-reason-move": _one("reason"),
    "api:company-timeline": _records("C"),
    "api:contact-timeline": _records("P"),
    "activities:event-edit": _pair_of("EV", "EH"),
    "activities:event-move": _pair_of("EV", "EH"),
    "activities:event-delete": _pair_of("EV", "EH"),
    "activities:calendar-import": _none,
    "activities:subscription-create": _none,
    "activities:subscription-revoke": _none,
    # An address that was never made (the real ones are tested in tests/activities).
    "activities:calendar-ical": lambda world: [({"token": "made-up.0000"}, "")],
    "records:activity-export": _none,
    "records:activity-bulk": _none,
    "records:activity-bulk-count": _none,
    "records:task-export": _none,
    "records:task-bulk": _none,
    "records:task-bulk-count": _none,
    "records:event-export": _none,
    "records:event-bulk": _none,
    "records:event-bulk-count": _none,
    "api:schema": _none,
    "api:docs": _none,
    "api:search": _none,
    "api:user-list": _none,
    "api:user-me": _none,
    "api:user-detail": _pair_of("user_V", "user_H"),
    "api:branch-list": _none,
    "api:branch-detail": lambda world: [({"pk": world.ids["branch_B"]}, "")],
    "api:role-list": _none,
    "api:role-detail": lambda world: [
        ({"pk": world.ids["role_manager"]}, ""),
        ({"pk": world.ids["role_admin"]}, ""),
    ],
    "api:audit-list": _none,
    "api:audit-detail": _pair_of("audit_V", "audit_H"),
    "api:company-list": _none,
    "api:company-bulk": _none,
    "api:company-duplicates": _none,
    "api:company-export": _none,
    "api:company-detail": _records("C"),
    "api:company-merge": _pairs("C"),
    "api:contact-list": _none,
    "api:contact-bulk": _none,
    "api:contact-duplicates": _none,
    "api:contact-export": _none,
    "api:contact-detail": _records("P"),
    "api:contact-merge": _pairs("P"),
    "api:batch-list": _none,
    "api:batch-detail": _pair_of("batch_V", "batch_H"),
    "api:batch-undo": _pair_of("batch_V", "batch_H"),
    "api:custom-field-list": _none,
    "api:custom-field-detail": _one("field"),
    "api:job-list": _none,
    "api:job-detail": _pair_of("job_V", "job_H"),
    "api:activity-list": _none,
    "api:activity-detail": _pair_of("AV", "AH"),
    "api:task-list": _none,
    "api:task-detail": _pair_of("TV", "TH"),
    "api:event-list": _none,
    "api:event-detail": _pair_of("EV", "EH"),
    "api:refusal-reason-list": _none,
    "api:refusal-reason-detail": lambda world: [({"pk": world.ids["reason"]}, "")],
    "core:notification-list": _none,
    "core:notification-stream": _none,
    "core:notification-read": _pair_of("note_V", "note_H"),
    "core:notification-read-all": _none,
    "api:notification-list": _none,
    "api:notification-read": _pair_of("note_V", "note_H"),
    "api:notification-read-all": _none,
}


def route_names() -> set[str]:
    found: set[str] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.add(f"{namespace}{pattern.name}")

    walk(get_resolver(), "")
    return {name for name in found if not name.startswith("api:api-root")}


def test_every_route_is_walked() -> None:
    missing = route_names() - set(TARGETS)
    assert not missing, f"give these routes targets in TARGETS: {sorted(missing)}"
    assert not set(TARGETS) - route_names(), "TARGETS names routes that no longer exist"


# --- Hostile bodies ----------------------------------------------------------------------------
def _version(model: Any, pk: Any) -> int:
    return int(model.all_objects.filter(pk=pk).values_list("version", flat=True).first() or 1)


_ROUTE_MODELS = (("activity", Activity), ("task", Task), ("event", CalendarEvent))


def hostile_body(
    world: World, persona: User | None, route: str, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Fields most forms and endpoints take, set to change something, naming hidden records."""
    i = world.ids
    me = persona.pk if persona else i["user_V"]
    model = next(
        (m for word, m in _ROUTE_MODELS if word in route),
        Company if "company" in route else Contact,
    )
    other = kwargs.get("other", i["CH"] if model is Company else i["PH"])
    version = _version(model, kwargs["pk"]) if "pk" in kwargs else 1
    return {
        "other_version": _version(model, other),
        "name": "Взлом",
        "last_name": "Взломов",
        "first_name": "Вз",
        "status": "client",
        "city": "Взломск",
        "version": version,
        "owner": me,
        "branch": i["branch_B"],
        "roles": [i["role_admin"]],
        "teams": [i["team_A"]],
        "is_active": False,
        "password": "Vzlom-parol-2026!",
        "new_password1": "Vzlom-parol-2026!",
        "new_password2": "Vzlom-parol-2026!",
        "user": me,
        "until": "",
        "other": other,
        "keep": {},
        "ids": [
            i[k] for k in ("CV", "CH", "PV", "PH", "GV", "GH", "AV", "AH", "TV", "TH", "EV", "EH")
        ],
        "title": "Взлом",
        "subject": "Взлом",
        "company": i["CH"],
        "contact": i["PH"],
        "assignee": me,
        "action": "trash",
        "scope": "selected",
        "confirm": "yes",
        "confirmed": "1",
        "companies": [i["CH"]],
        "employments": [],
        "to": me,
        "tag": "Взлом",
        "tags": ["Взлом"],
        "color": "#000000",
        "code": "vzlom",
        "label": "Взлом",
        "type": "text",
        "entity": "companies",
        "field": "city",
        "value": "Взломск",
        "effect": "add_tag",
        "offset": 1,
        "grants": [
            {"entity": e, "action": a, "scope": "all"}
            for e in ("companies", "contacts", "users", "roles")
            for a in ("view", "edit", "assign")
        ],
        "query": "",
        "is_shared": True,
        "form": "password",
    }


# PATCH carries only what grants or moves access, so that no unrelated field refused for another
# reason hides a hole (a self-promotion sends exactly roles, teams and version).
PATCH_FIELDS = (
    "version",
    "roles",
    "teams",
    "owner",
    "companies",
    "other",
    "keep",
    "other_version",
    "ids",
    "action",
    "scope",
    "grants",
    "user",
)


def form_body(body: dict[str, Any]) -> dict[str, Any]:
    """The same hostile body as a browser's form post (lists as repeated fields, formsets empty)."""
    data: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, dict):
            continue
        if isinstance(value, bool):
            data[key] = "on" if value else ""
        elif key in ("grants", "employments"):
            continue
        else:
            data[key] = value
    for prefix in ("phones", "emails", "employments", "related_persons", "messengers"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


# --- The database, row by row, with who may change each part -----------------------------------
def _rows(queryset: Any, *fields: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(str(v) for v in row) for row in queryset.values_list(*fields))


def state(world: World) -> dict[str, Any]:
    """Every protected part of the world, keyed by what guards it (about twenty queries)."""
    i = world.ids
    parts: dict[str, Any] = {}
    keys = {
        "C": ("CV", "CV2", "CH", "CT"),
        "P": ("PV", "PV2", "PH", "PT", "PS"),
        "G": ("GV", "GH"),
    }
    for prefix, model in (("C", Company), ("P", Contact), ("G", Gadget)):
        wanted = {i[key]: key for key in keys[prefix]}
        rows = {row["id"]: row for row in model.all_objects.filter(pk__in=wanted).values()}
        ct = ContentType.objects.get_for_model(model)
        shares = RecordShare.objects.filter(content_type=ct, object_id__in=wanted)
        tag_field = f"{model._meta.model_name}_id"
        tags = model.tags.through.objects.filter(**{f"{tag_field}__in": wanted})
        for pk, key in wanted.items():
            row = dict(rows.get(pk, {}))
            parts[f"trash:{key}"] = (row.pop("deleted_at", None), row.pop("deleted_by_id", None))
            for volatile in ("updated_at", "search_document"):
                row.pop(volatile, None)
            parts[f"row:{key}"] = sorted((k, str(v)) for k, v in row.items())
            parts[f"shares:{key}"] = []
            parts[f"tags:{key}"] = []
        for share in shares.values_list(
            "object_id", "id", "user_id", "team_id", "branch_id", "until"
        ):
            parts[f"shares:{wanted[share[0]]}"].append(tuple(map(str, share[1:])))
        for owner_id, tag_id in tags.values_list(tag_field, "tag_id"):
            parts[f"tags:{wanted[owner_id]}"].append(tag_id)
    for key, model in (
        ("AV", Activity),
        ("AH", Activity),
        ("TV", Task),
        ("TH", Task),
        ("EV", CalendarEvent),
        ("EH", CalendarEvent),
    ):
        row = dict(model.all_objects.filter(pk=i[key]).values().first() or {})
        parts[f"trash:{key}"] = (row.pop("deleted_at", None), row.pop("deleted_by_id", None))
        row.pop("updated_at", None)
        parts[f"row:{key}"] = sorted((k, str(v)) for k, v in row.items())
    # Jobs at a company (whoever holds them: a merge moves a job, it must not lose it) and
    # jobs of a contact.
    jobs = list(Employment.objects.values_list("contact_id", "company_id", "position"))
    for key in ("CV", "CH", "CT"):
        parts[f"jobs_at:{key}"] = sorted(p for _, company, p in jobs if company == i[key])
    for key in ("PV", "PH"):
        parts[f"jobs_of:{key}"] = sorted((c, p) for contact, c, p in jobs if contact == i[key])
    relatives = list(RelatedPerson.objects.values_list("contact_id", "name", "relation"))
    for key in ("PV", "PH"):
        parts[f"relatives:{key}"] = sorted(r[1:] for r in relatives if r[0] == i[key])
    batches = dict(Batch.objects.values_list("id", "undone_at"))
    views = {v[0]: v[1:] for v in SavedView.objects.values_list("id", "name", "is_shared", "query")}
    tokens = dict(ApiToken.objects.values_list("id", "revoked_at"))
    runs = {r[0]: r[1:] for r in JobRun.objects.values_list("id", "state", "done", "started_by")}
    notes = dict(Notification.objects.values_list("id", "read_at"))
    for key in ("V", "H"):
        parts[f"job_{key}"] = runs.get(i[f"job_{key}"])
        parts[f"note_{key}"] = notes.get(i[f"note_{key}"])
        parts[f"batch_{key}"] = batches.get(i[f"batch_{key}"])
        parts[f"view_{key}"] = views.get(i[f"view_{key}"])
        parts[f"token_{key}"] = tokens.get(i[f"token_{key}"])
    users = {
        u[0]: u[1:]
        for u in User.objects.values_list(
            "id",
            "branch_id",
            "is_active",
            "is_superuser",
            "password",
            "first_name",
            "last_name",
            "email",
            "phone",
            "language",
        )
    }
    roles = _rows(User.roles.through.objects.all(), "user_id", "role_id")
    teams = _rows(Team.members.through.objects.all(), "user_id", "team_id")
    for persona in world.people.__dict__.values():
        if isinstance(persona, User):
            own = str(persona.pk)
            parts[f"access:{persona.username}"] = (
                users[persona.pk][:4],
                [r for r in roles if r[0] == own],
                [t for t in teams if t[0] == own],
            )
            parts[f"profile:{persona.username}"] = users[persona.pk][4:]
    parts["settings"] = (
        _rows(Role.objects.all(), "id", "name", "code"),
        _rows(RoleGrant.objects.all(), "role_id", "entity", "action", "scope"),
        _rows(CustomField.objects.all(), "id", "code", "label", "position", "type"),
        _rows(GroupRule.objects.all(), "id", "name", "field", "value", "position", "is_active"),
        _rows(Tag.objects.filter(pk=i["tag"]), "name", "color"),
        _rows(Team.objects.all(), "id", "name", "branch_id"),
        _rows(RefusalReason.objects.all(), "id", "name", "position", "active"),
    )
    parts["branches"] = _rows(world.people.branch_a.__class__.objects.all(), "id", "name", "city")
    return parts


def may_change(persona: str, world: World, part: str) -> bool:
    """May ``persona`` change ``part`` of :func:`state` at all (through some route)?"""
    kind, _, rest = part.partition(":")
    if kind in ("row", "tags", "relatives"):
        if rest.endswith("T"):  # a restore bumps the version and the change time
            return persona in RESTORES_TRASH | RESTORES_OWN_TRASH
        return rest in EDIT.get(persona, set())
    if kind == "trash":
        if rest.endswith("T"):
            return persona in RESTORES_TRASH | RESTORES_OWN_TRASH
        return rest in DELETE.get(persona, set())
    if kind == "shares":
        return rest in SHARE.get(persona, set())
    if kind == "jobs_at":
        # Jobs at a hidden or trashed company survive every edit of their people.
        edits = EDIT.get(persona, set())
        return rest in edits or (rest == "CV" and bool(edits & {"PV", "PV2"}))
    if kind == "jobs_of":
        return rest in EDIT.get(persona, set())
    if part.startswith("batch_"):
        owner = "manager_a" if part.endswith("V") else "manager_b"
        return persona in {owner, "admin", "head"} or (
            persona == "branch_head_a" and part.endswith("V")
        )
    if part.startswith("view_"):
        owner = "manager_a" if part.endswith("V") else "manager_b"
        return persona in {owner, *MANAGES_SETTINGS}
    if part.startswith("job_"):
        return False  # a job's state is its worker's to change, nobody's through a route
    if part.startswith("note_"):  # a notification is read by its own person only
        return persona == ("manager_a" if part.endswith("V") else "manager_b")
    if part.startswith("token_"):
        owner = "manager_a" if part.endswith("V") else "manager_b"
        return persona in {owner, *MANAGES_PEOPLE}
    if kind == "access":
        return persona in MANAGES_PEOPLE
    if kind == "profile":
        return persona in MANAGES_PEOPLE or persona == rest
    if kind in ("settings", "branches"):
        return persona in MANAGES_SETTINGS
    raise AssertionError(f"unclassified part {part}")


def hidden_names(persona: str, route: str) -> list[str]:
    sees = VIEW.get(persona, set())
    keys = ("CV", "PV", "CH", "PH", "PS", "GV", "GH", "AV", "AH", "TV", "TH", "EV", "EH")
    names = [NAMES[k] for k in keys if k not in sees]
    if persona not in SEES_ALL and persona != "manager_b":
        names.append(MANAGER_B_NAME)
    if route not in ("records:trash", "core:audit", "api:audit-list", "api:audit-detail"):
        names += [NAMES["CT"], NAMES["PT"]]
    return names


# --- The walk ---------------------------------------------------------------------------------
def _body_text(response: Any) -> str:
    if response.get("Content-Type", "").startswith("text/event-stream"):
        # A live stream does not end by itself: its first frames are what it shows.
        content = b"".join(islice(response.streaming_content, 2))
        from tests.reminders.test_bell import close_stream

        close_stream(response)
    elif getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def _requests(world: World) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    existing = route_names()  # a vanished route fails test_every_route_is_walked instead
    for route in sorted(TARGETS.keys() & existing):
        for kwargs, key in TARGETS[route](world):
            try:
                # The API names the other record of a merge in the body, pages in the path.
                api_merge = route.startswith("api:") and "other" in kwargs
                url = reverse(route, kwargs={"pk": kwargs["pk"]} if api_merge else kwargs)
            except NoReverseMatch:
                yield route, "reverse", str(kwargs), kwargs, key
                continue
            for method in METHODS:
                if method == "patch-plain" and not route.startswith("api:"):
                    continue  # a page's PATCH is one, whatever its body
                yield route, method, url, kwargs, key


def _send(client: Client, route: str, method: str, url: str, body: dict[str, Any]) -> Any:
    if route.startswith("api:"):
        if method == "get":
            return client.get(url)
        if method == "patch-plain":
            plain = {"version": body["version"], "city": "Взломск", "last_name": "Взломов"}
            return client.patch(url, data=json.dumps(plain), content_type="application/json")
        if method == "patch":
            body = {key: body[key] for key in PATCH_FIELDS}
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    if method == "get":
        return client.get(url)
    if method == "post":
        data = form_body(body)
        if route.endswith("-share"):  # the share form takes exactly one target: oneself
            data.update(team="", branch="")
        return client.post(url, data=data)
    return getattr(client, method.partition("-")[0])(url)


@pytest.mark.parametrize("persona_name", PERSONAS)
def test_authorization_walk(persona_name: str, world: World) -> None:
    persona: User | None = (
        None if persona_name == "anonymous" else getattr(world.people, persona_name)
    )
    page_client = Client()
    api_client = APIClient()
    if persona is not None:
        page_client.force_login(persona)
        from kartoteka.accounts.services import token_create

        api_client.credentials(
            HTTP_AUTHORIZATION="Bearer " + token_create(actor=None, user=persona, name="walk")
        )
    before = state(world)
    problems: list[str] = []
    bodies: dict[tuple[str, str], dict[str, Any]] = {}
    for route, method, url, _kwargs, key in _requests(world):
        if method == "reverse":
            problems.append(f"{route}: cannot be reversed with {url}")
            continue
        client = api_client if route.startswith("api:") else page_client
        # Every method at a target gets the same body: the requests are rolled back, so the
        # versions it carries (two queries) stay what they were.
        target = (route, json.dumps(_kwargs, sort_keys=True, default=str))
        if target not in bodies:
            bodies[target] = hostile_body(world, persona, route, _kwargs)
        body = bodies[target]
        cookies = copy.deepcopy(page_client.cookies)  # logout or a language switch ends here
        connection.queries_log.clear()  # it keeps 9,000 queries: a full log captures nothing
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            try:
                response = _send(client, route, method, url, body)
            except Exception as error:  # noqa: BLE001 - a crash is what the walk reports
                problems.append(f"{method.upper()} {url}: raised {error!r}")
                transaction.set_rollback(True)
                continue
            # Reading the whole state costs ~20 queries: only after a request that wrote.
            wrote = any(
                WRITES.match(query["sql"]) and not BOOKKEEPING.match(query["sql"])
                for query in queries.captured_queries
            )
            after = state(world) if wrote else before
            transaction.set_rollback(True)
        page_client.cookies = cookies
        status = response.status_code
        where = f"{persona_name} {method.upper()} {url} ({route}) -> {status}"
        if status >= 500:
            problems.append(f"{where}: server error")
            continue
        if key[:1] in ("C", "P", "G", "A", "T", "E") and key not in VIEW.get(persona_name, set()):
            if status in (200, 201, 204) and route not in ("records:trash-restore",):
                problems.append(f"{where}: answered a record the persona may not see")
        if key.startswith(("user_", "batch_", "view_", "token_")) and persona_name not in (
            "admin",
        ):
            owner = "manager_a" if key.endswith("V") else "manager_b"
            visible = persona_name in (owner, "head", "auditor") or (
                persona_name == "branch_head_a" and owner == "manager_a"
            )
            if not visible and status in (200, 201, 204):
                problems.append(f"{where}: answered another person's {key.split('_')[0]}")
        if key.startswith("note_") and status in (200, 201, 204):
            if persona_name != ("manager_a" if key.endswith("V") else "manager_b"):
                problems.append(f"{where}: answered another person's notification")
        if key.startswith("job_") and status in (200, 201, 204):
            starter = "manager_a" if key.endswith("V") else "manager_b"
            if persona_name != starter:  # not even an administrator sees another's job
                problems.append(f"{where}: answered another person's job")
        text = _body_text(response)
        for name in hidden_names(persona_name, route):
            if name in text:
                problems.append(f"{where}: shows hidden name {name!r}")
        for part, value in before.items():
            if after.get(part) != value and not may_change(persona_name, world, part):
                problems.append(f"{where}: changed {part}")
    problems.sort(key=lambda problem: "hidden name" in problem)  # writes first, they matter most
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:100])
