"""Important dates: birthdays and anniversaries that set a task for the client's owner and,
with the client's consent, send the client a greeting.

:class:`ImportantDateSettings` is the installation's one row of settings (how many days ahead,
the email's language and text). :class:`ImportantDateReminder` remembers each date reminded, one
row per source and year under a unique constraint: that row is what makes the daily rule
idempotent and safe to run on several workers at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: the most days ahead a reminder may come (a quarter of a year)
MAX_DAYS_AHEAD = 90


class ImportantDateSettings(models.Model):
    """The installation's settings for important dates; only the row with ``pk=1`` is used."""

    days_ahead = models.PositiveSmallIntegerField(
        _("days ahead"),
        default=2,
        help_text=_(
            "How many days before the date the owner gets the task and the client the email."
        ),
    )
    #: empty: the installation's language (``KARTOTEKA_LANGUAGE``)
    email_language = models.CharField(
        _("language of the emails"),
        max_length=8,
        choices=[("ru", _("Russian")), ("en", _("English"))],
        blank=True,
    )
    #: empty: the built-in text in ``email_language``
    email_subject = models.CharField(_("email subject"), max_length=300, blank=True)
    #: empty: the built-in text in ``email_language``
    email_body = models.TextField(_("email text"), blank=True)
    #: the client's own birthday has an email of its own (empty: the built-in one)
    own_subject = models.CharField(_("birthday email subject"), max_length=300, blank=True)
    own_body = models.TextField(_("birthday email text"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("important dates settings")
        verbose_name_plural = _("important dates settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(days_ahead__lte=MAX_DAYS_AHEAD), name="dates_days_ahead_max"
            )
        ]

    def __str__(self) -> str:
        return str(_("Important dates"))


class ImportantDateReminder(models.Model):
    """One date reminded in one year: the task set and the email's fate.

    ``source`` names where the date comes from: ``contact:<id>:birthday``,
    ``related:<id>:birthday`` or ``related:<id>:anniversary``.
    """

    class Occasion(models.TextChoices):
        BIRTHDAY = "birthday", _("birthday")
        ANNIVERSARY = "anniversary", _("anniversary")

    class Email(models.TextChoices):
        NONE = "", _("not sent: no consent or no address")
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not sent")
        FAILED = "failed", _("failed")

    source = models.CharField(max_length=64)
    #: the year of the date reminded (a date on 1 January reminded in December: the new year)
    year = models.PositiveSmallIntegerField()
    #: the date itself in that year (29 February of a common year: 28 February)
    date = models.DateField(_("date"))
    occasion = models.CharField(_("occasion"), max_length=12, choices=Occasion.choices)
    contact = models.ForeignKey(
        "clients.Contact", on_delete=models.CASCADE, related_name="important_date_reminders"
    )
    task = models.ForeignKey(
        "activities.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    email_status = models.CharField(max_length=8, choices=Email.choices, blank=True)
    email_to = models.EmailField(blank=True)
    #: a worker sending the email holds it until then; a worker that died lets it go at that time
    email_claimed_until = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("important date reminder")
        verbose_name_plural = _("important date reminders")
        constraints = [
            models.UniqueConstraint(fields=["source", "year"], name="important_date_once_a_year")
        ]
        indexes = [models.Index(fields=["email_status", "date"], name="important_date_email")]

    def __str__(self) -> str:
        return f"{self.source} {self.year}"
