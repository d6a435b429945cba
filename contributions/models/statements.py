"""Contribution statements asked for: who asked, for whose record and which years, where the
rendering stands, and the PDF kept for its holder to download.

The database, not the broker, is the source of truth for the work: a statement is pending until
the transaction that registers its verification code also stores its file; a lost message or a
worker that dies leaves a pending row that the reconciler queues again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StatementStatus(models.TextChoices):
    PENDING = "pending", _("being prepared")
    READY = "ready", _("ready")
    FAILED = "failed", _("could not be prepared")
    # Ready once; the file was dropped after STATEMENT_KEEP_DAYS (its code still verifies).
    PURGED = "purged", _("no longer kept")


class StatementRequest(models.Model):
    """A contribution statement someone asked for: the person, a proxy under a mandate or staff
    at the counter (``requested_by`` acts, ``person`` is acted for, as ``acting_mode`` and
    ``mandate_id`` say). Once rendered, its registry row and its PDF are stored together."""

    # The index of (person, -requested_at) serves the person's lookups: no index of its own.
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("whose record")
    )
    # The unique (requested_by, intent) pair leads with it: no index of its own either.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("asked by"),
    )
    acting_mode = models.CharField(_("asked as"), max_length=10)  # an ActingMode: self, proxy, assisted
    mandate_id = models.BigIntegerField(_("mandate"), null=True, blank=True)
    # The form's one-time token: the same form sent twice asks once.
    intent = models.UUIDField(_("form token"))
    year_from = models.PositiveSmallIntegerField(_("from year"))
    year_to = models.PositiveSmallIntegerField(_("to year"))
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.PENDING
    )
    failure = models.CharField(_("why it could not be prepared"), max_length=20, blank=True)
    requested_at = models.DateTimeField(_("asked at"))
    queued_at = models.DateTimeField(_("last queued at"))
    started_at = models.DateTimeField(_("last taken by a worker at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("renderings started"), default=0)
    # The rendering that took it (its task's id, kept by its retries), and the one whose claim it
    # took over (which, if it comes back, was only retrying: its attempt is struck off).
    claim = models.CharField(_("rendering task"), max_length=64, blank=True, editable=False)
    claim_taken_over = models.CharField(_("rendering task taken over"), max_length=64, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    document = models.OneToOneField(
        "core.VerifiableDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verifiable document"),
    )
    content = models.BinaryField(_("file"), null=True, blank=True, editable=False)  # the PDF, while it is kept
    size = models.PositiveIntegerField(_("size in bytes"), null=True, blank=True)
    purged_at = models.DateTimeField(_("file dropped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contribution statement asked for")
        verbose_name_plural = _("contribution statements asked for")
        constraints = [
            models.CheckConstraint(condition=Q(year_from__lte=models.F("year_to")), name="statement_years_ordered"),
            models.UniqueConstraint(fields=["requested_by", "intent"], name="statement_intent_once"),
            # One statement being prepared per person, years and language: asking again while it
            # is prepared (a double click, another tab, the proxy and the person) gets that one.
            models.UniqueConstraint(
                fields=["person", "year_from", "year_to", "language"],
                condition=Q(status="pending"),
                name="statement_pending_once",
            ),
            # A registered code always has its file (while kept), and a file its code.
            models.CheckConstraint(
                condition=(
                    Q(status="pending", document__isnull=True, content__isnull=True, failure="")
                    | Q(status="failed", document__isnull=True, content__isnull=True) & ~Q(failure="")
                    | Q(status="ready", document__isnull=False, content__isnull=False, failure="")
                    | Q(status="purged", document__isnull=False, content__isnull=True, failure="")
                ),
                name="statement_file_with_its_code",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "-requested_at"], name="statement_person_idx"),
            models.Index(fields=["queued_at"], condition=Q(status="pending"), name="statement_pending_idx"),
            models.Index(fields=["finished_at"], condition=Q(status="ready"), name="statement_kept_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.year_from}–{self.year_to} ({self.get_status_display()})"
