"""Re-indexing as background jobs with progress: the whole index, or many records at once.

Writing a record's document is cheap; writing a hundred thousand of them in a request is not.
Services that touch many documents at once (renaming a tag that 50,000 clients carry) call
:func:`index_many_later`: a few records are indexed in their own transaction as before; more
are indexed by a job after the commit, whose progress its starter can watch. ``kartoteka
reindex`` rebuilds everything (:func:`rebuild_start`, then :func:`rebuild_work` inline or in
the worker).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.core import jobs
from kartoteka.core.search.indexing import BATCH, index_many, rebuild

if TYPE_CHECKING:
    from kartoteka.accounts.models import User
    from kartoteka.core.models import JobRun

#: at most this many records are re-indexed inside the caller's transaction; more go to a job
INLINE = BATCH


def rebuild_start(*, actor: User | None, queue: bool = True) -> JobRun:
    """A rebuild of the whole index as a job: queued for the worker after the current
    transaction commits, or (``queue=False``) only recorded, for the caller to :func:`jobs.run`
    at once (``kartoteka reindex``)."""
    title = _("Rebuild search index")
    if not queue:
        return jobs.track(actor=actor, kind="search.rebuild", title=title)
    from kartoteka.core import tasks

    return jobs.start(tasks.search_rebuild, actor=actor, kind="search.rebuild", title=title)


def rebuild_work(progress: jobs.Progress) -> jobs.Outcome:
    """The rebuild as a job's work: counts every record first, then advances per batch."""
    written = rebuild(progress=progress)
    count = sum(written.values())
    message = ngettext(
        "Search index rebuilt: %(count)d record.",
        "Search index rebuilt: %(count)d records.",
        count,
    ) % {"count": count}
    return jobs.Outcome(message=message, result=written)


def index_many_later(
    model: type[models.Model], ids: Iterable[int], *, actor: User | None
) -> JobRun | None:
    """Re-index ``ids`` of ``model``: now, in the caller's transaction, when they are at most
    :data:`INLINE`; else as a job ``actor`` started, once the transaction commits (returned).
    Searches see the old documents of those records until the job has done them."""
    unique = list(dict.fromkeys(int(pk) for pk in ids))
    if len(unique) <= INLINE:
        index_many(model, unique)
        return None
    from kartoteka.core import tasks

    title = _("Update the search index of %(count)d %(things)s") % {
        "count": len(unique),
        "things": model._meta.verbose_name_plural,
    }
    return jobs.start(
        tasks.search_index,
        model._meta.label_lower,
        *unique,
        actor=actor,
        kind="search.index",
        title=title,
        total=len(unique),
    )


def index_work(label: str, ids: Sequence[int], progress: jobs.Progress) -> jobs.Outcome:
    """:func:`index_many_later`'s job: the records as they are now, whatever changed since."""
    index_many(apps.get_model(label), ids, progress=progress)
    return jobs.Outcome(
        message=ngettext(
            "Search index updated: %(count)d record.",
            "Search index updated: %(count)d records.",
            len(ids),
        )
        % {"count": len(ids)},
        result={"records": len(ids)},
    )
