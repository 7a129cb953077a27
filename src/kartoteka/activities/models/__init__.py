"""The activities app's models, one module per area; everything is importable from here."""

from kartoteka.activities.models.calendar import CalendarFeed
from kartoteka.activities.models.dates import ImportantDateReminder, ImportantDateSettings
from kartoteka.activities.models.records import (
    Activity,
    CalendarEvent,
    EventParticipant,
    RefusalReason,
    Task,
    TaskComment,
)

__all__ = [
    "Activity",
    "CalendarFeed",
    "CalendarEvent",
    "EventParticipant",
    "ImportantDateReminder",
    "ImportantDateSettings",
    "RefusalReason",
    "Task",
    "TaskComment",
]
