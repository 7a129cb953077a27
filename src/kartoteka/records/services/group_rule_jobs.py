"""Applying a group rule to existing clients as a background job, with a progress bar.

A rule reaching thousands of clients changes them in bulk batches of up to 50,000 records; that
takes longer than a page request may. The settings page starts the job here and shows its
progress; the job (``records.tasks.apply_group_rule``) runs exactly what a direct call of
:func:`group_rules.group_rule_apply_existing` would, as the person who started it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.accounts.models import User
from kartoteka.core import access, jobs
from kartoteka.core.errors import ForbiddenError, NotFoundError
from kartoteka.core.models import JobRun
from kartoteka.records.models import GroupRule
from kartoteka.records.services import group_rules as rule_settings

KIND = "group_rule.apply"


def group_rule_apply_start(*, actor: User, rule: GroupRule) -> JobRun:
    """Start applying ``rule`` to existing clients in the background; returns the job, which
    only ``actor`` sees. Administrators only (settings "edit"), as for the rule itself; the job
    checks again when it runs."""
    if not access.has_any(actor, "settings", "edit"):
        raise ForbiddenError()
    from kartoteka.records import tasks

    title = _("Rule «%(rule)s» applied to existing clients") % {"rule": rule}
    return jobs.start(tasks.apply_group_rule, rule.pk, actor=actor, kind=KIND, title=title)


def apply_work(rule_id: int, progress: jobs.Progress) -> jobs.Outcome:
    """The job's work: the rule as it is now, applied by the person who started the job."""
    actor = progress.job.started_by
    rule = GroupRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFoundError(_("The rule has been deleted."))
    if actor is None or not actor.is_active:
        raise ForbiddenError()
    changed = rule_settings.group_rule_apply_existing(actor=actor, rule=rule, progress=progress)
    message = ngettext(
        "The rule changed %(count)d client.", "The rule changed %(count)d clients.", changed
    ) % {"count": changed}
    return jobs.Outcome(message=message, result={"changed": changed})
