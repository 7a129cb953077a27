"""Bulk changes as named batches that undo in one step.

A batch changes many records at once: reassign, replace a field's value, add or remove a tag, move
to the trash. For every record and field it keeps a :class:`BatchChange` with the old value, the
new value and the record's versions before and right after, so an undo puts back exactly the
records nobody touched since and leaves the others as they are. Undoing a later batch is not
someone else's edit: it hands the records it restored back to the batch beneath, whose own undo
then restores them too (chained batches undo newest-first all the way down).

Generic over :class:`Record` models (companies and contacts today, deals and tasks later); a
departing employee's hand-over moves every registered record kind (``kartoteka.core.kinds``).

SQL stays bounded: the records are read, locked and written in chunks of :data:`CHUNK`, a handful
of queries per chunk whatever the chunk's size, so ten thousand records take seconds.
"""

from kartoteka.core.batches.engine import candidates, execute, preview
from kartoteka.core.batches.handover import (
    eligible_owners,
    handed_entities,
    handover,
    may_hand_over,
    owned_counts,
    owned_kinds,
)
from kartoteka.core.batches.operations import (
    bulk_reassign,
    bulk_trash,
    check_targets,
    reassign_operation,
    trash_operation,
)
from kartoteka.core.batches.types import (
    CHUNK,
    KIND_ACTIONS,
    MAX_RECORDS,
    AlreadyUndoneError,
    Counts,
    FollowUp,
    FollowUps,
    IdsOrQuerySet,
    Operation,
    UndoResult,
)
from kartoteka.core.batches.undo import (
    batch_for,
    batch_undo,
    batches_for,
    changed_count,
    may_see_all,
)

__all__ = [
    "CHUNK",
    "KIND_ACTIONS",
    "MAX_RECORDS",
    "AlreadyUndoneError",
    "Counts",
    "FollowUp",
    "FollowUps",
    "IdsOrQuerySet",
    "Operation",
    "UndoResult",
    "batch_for",
    "batch_undo",
    "batches_for",
    "bulk_reassign",
    "bulk_trash",
    "candidates",
    "changed_count",
    "check_targets",
    "eligible_owners",
    "execute",
    "handed_entities",
    "handover",
    "may_hand_over",
    "may_see_all",
    "owned_counts",
    "owned_kinds",
    "preview",
    "reassign_operation",
    "trash_operation",
]
