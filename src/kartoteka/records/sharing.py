"""Sharing one record beyond its scope with a user, a team or a branch, optionally until a date.

Sharing is the record owner's act or an assigner's (someone with "assign" on the record), never a
recipient's: a recipient who could share could extend, forward or remove what the owner set. The
people, teams and branches one may share with are those one may see (:func:`share_targets`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.core import access, audit, events
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError, NothingToUndoError
from kartoteka.core.models import AuditEntry, Record, RecordShare

if TYPE_CHECKING:
    from kartoteka.accounts.models import Branch, Team, User


def shares_of(obj: Record) -> QuerySet[RecordShare]:
    return RecordShare.objects.filter(
        content_type=ContentType.objects.get_for_model(obj._meta.model), object_id=obj.pk
    ).select_related("user__branch", "team__branch", "branch")


def shares_seen_by(viewer: User, obj: Record) -> list[RecordShare]:
    """``obj``'s shares for its card, each with ``shown``: whom it is shared with, as ``viewer``
    may read it (a person they may not see is named by their branch only). Two queries at most."""
    from kartoteka.accounts import queries

    shares = list(shares_of(obj))
    user_ids = {share.user_id for share in shares if share.user_id is not None}
    seen = (
        set(queries.users(viewer).filter(pk__in=user_ids).values_list("pk", flat=True))
        if user_ids
        else set()
    )
    for share in shares:
        if share.user is not None and share.user_id not in seen:
            share.shown = _("a user of %(branch)s") % {"branch": share.user.branch or "—"}  # type: ignore[attr-defined]
        else:
            share.shown = str(share.target)  # type: ignore[attr-defined]
    return shares


def may_share(actor: User, obj: Record) -> bool:
    """May ``actor`` share ``obj`` or remove its shares? Its owner (who may edit it), or someone
    who may assign it; never one who reaches it only through a share."""
    if access.can(actor, "assign", obj):
        return True
    owner_id = getattr(obj, "owner_id", None)
    return owner_id is not None and owner_id == actor.pk and access.can(actor, "edit", obj)


def share_targets(actor: User) -> tuple[QuerySet[User], QuerySet[Team], QuerySet[Branch]]:
    """Whom ``actor`` may share with: (users, teams, branches), each a queryset.

    Users: the active ones ``actor`` may view, but themself (one who may share a record already
    reaches it). Teams: their own, and every team of a branch whose
    users they all see (all teams for "all"). Branches: their own, and all for "all". The form
    offers exactly these and :func:`share_create` accepts nothing else.
    """
    from kartoteka.accounts import queries
    from kartoteka.accounts.models import Branch, Team

    scopes = access.scopes_for(actor, "users", "view")
    users = (
        queries.users(actor).filter(is_active=True).exclude(pk=actor.pk).prefetch_related(None)
    )  # names only
    teams = Team.objects.select_related("branch").order_by("name")
    branches = Branch.objects.filter(is_active=True).order_by("name")
    if "all" not in scopes:
        own_teams = Q(pk__in=Team.objects.filter(members=actor).values("pk"))
        if "branch" in scopes and actor.branch_id is not None:
            own_teams |= Q(branch_id=actor.branch_id)
        teams = teams.filter(own_teams)
        branches = branches.filter(pk=actor.branch_id)
    return users, teams, branches


def _check_target(actor: User, user: User | None, team: Team | None, branch: Branch | None) -> None:
    users, teams, branches = share_targets(actor)
    problems: dict[str, list[str]] = {}
    for name, target, allowed in (
        ("user", user, users),
        ("team", team, teams),
        ("branch", branch, branches),
    ):
        if target is not None and not allowed.filter(pk=target.pk).exists():
            problems[name] = [_("You may not share with %(target)s.") % {"target": target}]
    if problems:
        raise DomainError(fields=problems)


def _named(share: RecordShare) -> Any:
    """A share's recipient as the trail names it: a person only to those who may see them."""
    if share.user is not None:
        return audit.link(share.user, str(share.user))
    return str(share.target)


def share_create(
    *,
    actor: User,
    obj: Record,
    user: User | None = None,
    team: Team | None = None,
    branch: Branch | None = None,
    until: date | None = None,
) -> RecordShare:
    """Share ``obj`` with exactly one target; audited on the record. Sharing again with the
    same target replaces the end date of its share instead of adding a second one.

    The recipients may then view it, and edit it if their role lets them edit records of its
    kind. Only its owner or an assigner shares (else 403; 404 if ``actor`` cannot see it), and
    only with someone from :func:`share_targets`.
    """
    check_may_share(actor, obj)
    if sum(target is not None for target in (user, team, branch)) != 1:
        raise DomainError(fields={"user": [_("Choose exactly one: a user, a team or a branch.")]})
    _check_target(actor, user, team, branch)
    if until is not None and until < timezone.localdate():
        raise DomainError(fields={"until": [_("The date has already passed.")]})
    with transaction.atomic():
        share = (
            shares_of(obj)
            .select_for_update(of=("self",))
            .filter(user=user, team=team, branch=branch)
            .first()
        )
        if share is None:
            share = RecordShare.objects.create(
                content_type=ContentType.objects.get_for_model(obj._meta.model),
                object_id=obj.pk,
                user=user,
                team=team,
                branch=branch,
                until=until,
                created_by=actor,
            )
            before: list[Any] = [None, None]
        else:
            before = [_named(share), share.until.isoformat() if share.until else None]
            share.until, share.created_by = until, actor
            share.save(update_fields=["until", "created_by"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.SHARE,
            obj=obj,
            changes={
                "shared_with": [before[0], _named(share)],
                "until": [before[1], until.isoformat() if until else None],
            },
        )
        events.shared(actor=actor, obj=obj, share=share)
    return share


def share_snapshot(share: RecordShare) -> dict[str, Any]:
    """What :func:`share_restore` needs to put ``share`` back after it was removed."""
    return {
        "user": share.user_id,
        "team": share.team_id,
        "branch": share.branch_id,
        "until": share.until.isoformat() if share.until else None,
        "created_by": share.created_by_id,
    }


def share_restore(*, actor: User, obj: Record, snapshot: dict[str, Any]) -> RecordShare:
    """Put back a share of ``obj`` that was removed (an undo): the same recipient, end date and
    author. Taken by those who may share ``obj`` (as removing it was); the recipient need not be
    one ``actor`` could pick, since it was there before. A share with the same recipient made
    since means there is nothing to undo."""
    check_may_share(actor, obj)
    target = {name: snapshot.get(name) for name in ("user", "team", "branch")}
    with transaction.atomic():
        if shares_of(obj).filter(**{f"{name}_id": pk for name, pk in target.items()}).exists():
            raise NothingToUndoError(_("It is shared with them again already."))
        until = date.fromisoformat(snapshot["until"]) if snapshot.get("until") else None
        share = RecordShare.objects.create(
            content_type=ContentType.objects.get_for_model(obj._meta.model),
            object_id=obj.pk,
            user_id=target["user"],
            team_id=target["team"],
            branch_id=target["branch"],
            until=until,
            created_by_id=snapshot.get("created_by"),
        )
        share = shares_of(obj).get(pk=share.pk)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.SHARE,
            obj=obj,
            changes={
                "shared_with": [None, _named(share)],
                "until": [None, until.isoformat() if until else None],
            },
        )
        events.shared(actor=actor, obj=obj, share=share)
    return share


def share_remove(*, actor: User, obj: Record, share_id: int) -> RecordShare:
    """Remove one share of ``obj``: its owner's or an assigner's act, as creating one is.
    Returns the removed share (unsaved), for an undo."""
    check_may_share(actor, obj)
    share = shares_of(obj).filter(pk=share_id).first()
    if share is None:
        raise NotFoundError()
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UNSHARE,
            obj=obj,
            changes={"shared_with": [_named(share), None]},
        )
        events.unshared(actor=actor, obj=obj, share=share)
        share.delete()
    return share


def check_may_share(actor: User, obj: Record) -> None:
    """:class:`NotFoundError` if ``actor`` cannot see ``obj``, :class:`ForbiddenError` if they
    see it but may not share it (see :func:`may_share`)."""
    if not access.can(actor, "view", obj):
        raise NotFoundError()
    if not may_share(actor, obj):
        # The record is visible (often through a share): say why rather than pretend it is gone.
        raise ForbiddenError(
            _("Only the record's owner or someone who may reassign it can change its sharing.")
        )
