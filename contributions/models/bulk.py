"""Bulk declaration files: the upload, its chunks (the units of work, in the database), the
anomalies of its lines and the totals of each (employer, period) it declares.

The database, not the broker, is the source of truth for the work: a chunk is pending until the
transaction that wrote its lines marks it done; a task message that is lost, or a worker that
dies, leaves a pending chunk that the reconciler queues again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UploadStatus(models.TextChoices):
    RECEIVED = "received", _("received, waiting to be processed")
    PROCESSING = "processing", _("being processed")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class BulkUpload(models.Model):
    """A declaration file as received (stored before anything else happens), and where its
    processing stands. Uploaded by a person, or by an enterprise's software with an API key."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_with_key = models.ForeignKey(
        "identity.ApiKey", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The enterprise of the key (API uploads): every key of the enterprise may read the upload.
    key_enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who acted, as the processing needs it to check, line by line, whom they may declare for.
    actor = models.JSONField(default=dict)
    channel = models.CharField(_("channel"), max_length=10)
    file_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(max_length=255)
    size = models.BigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    encoding = models.CharField(max_length=10)  # "utf-8" or "utf-8-sig" (with a byte order mark)
    separator = models.CharField(max_length=1)
    decimal_mark = models.CharField(max_length=1)
    line_ending = models.CharField(max_length=4)  # "LF" or "CRLF"
    status = models.CharField(_("status"), max_length=12, choices=UploadStatus.choices, default=UploadStatus.RECEIVED)
    lines_total = models.PositiveIntegerField(_("lines"), null=True, blank=True)
    errors = models.PositiveIntegerField(_("blocking errors"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    declarations = models.PositiveIntegerField(_("declarations"), default=0)
    created_at = models.DateTimeField(_("received at"))
    queued_at = models.DateTimeField(null=True, blank=True)  # when its next step was last queued
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk declaration file")
        verbose_name_plural = _("bulk declaration files")
        constraints = [
            models.CheckConstraint(
                condition=Q(uploaded_by__isnull=False) | Q(uploaded_with_key__isnull=False),
                name="bulk_upload_has_author",
            ),
            # The same file sent again by the same uploader is recognised (it answers with the first).
            models.UniqueConstraint(
                fields=["uploaded_by", "sha256"], condition=Q(uploaded_with_key__isnull=True), name="bulk_upload_once"
            ),
            models.UniqueConstraint(
                fields=["key_enterprise", "sha256"],
                condition=Q(key_enterprise__isnull=False),
                name="bulk_upload_once_per_key_enterprise",
            ),
        ]
        indexes = [
            models.Index(fields=["uploaded_by", "-created_at"], name="bulk_upload_user_idx"),
            models.Index(fields=["key_enterprise", "-created_at"], name="bulk_upload_key_idx"),
            models.Index(
                fields=["status"],
                condition=Q(status__in=["received", "processing"]),
                name="bulk_upload_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.pk})"

    @property
    def is_finished(self) -> bool:
        return self.status in (UploadStatus.ACCEPTED, UploadStatus.REJECTED)


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DONE = "done", _("done")


class BulkChunk(models.Model):
    """A run of lines of the file (a byte range), validated and written in one transaction."""

    upload = models.ForeignKey(BulkUpload, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_line = models.PositiveIntegerField()  # the file's line number of its first line
    line_count = models.PositiveIntegerField()
    start_offset = models.BigIntegerField()
    end_offset = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    # When a worker last took it (committed before its work, which holds the row lock): taken
    # and not locked, its worker died.
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("part of a declaration file")
        verbose_name_plural = _("parts of declaration files")
        constraints = [models.UniqueConstraint(fields=["upload", "number"], name="bulk_chunk_unique")]
        indexes = [
            models.Index(fields=["status"], condition=Q(status="pending"), name="bulk_chunk_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}/{self.number}"


class BulkAnomaly(models.Model):
    """An error or warning found in the file: on a line (its number in the file, the column),
    or on an (employer, period) of the file, or on the file."""

    upload = models.ForeignKey(BulkUpload, on_delete=models.CASCADE, related_name="anomalies")
    line_number = models.PositiveIntegerField(null=True, blank=True)
    field = models.CharField(max_length=30, blank=True)
    code = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)
    employer_number = models.CharField(max_length=40, blank=True)
    period = models.CharField(max_length=20, blank=True)
    # The declaration a warning travels with, once the file is accepted.
    declaration_pk = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("anomaly of a declaration file")
        verbose_name_plural = _("anomalies of declaration files")
        indexes = [models.Index(fields=["upload", "line_number"], name="bulk_anomaly_line_idx")]

    def __str__(self) -> str:
        return f"{self.upload_id}: {self.code} line {self.line_number}"


class BulkTotal(models.Model):
    """What a chunk's valid lines add to one (employer, period) of the file: the file's totals
    are the sums of its chunks' (a chunk's rows are written with its lines, once)."""

    chunk = models.ForeignKey(BulkChunk, on_delete=models.CASCADE, related_name="totals")
    declaration = models.ForeignKey("contributions.Declaration", on_delete=models.CASCADE, related_name="+")
    line_count = models.PositiveIntegerField()
    total_wages = models.DecimalField(max_digits=16, decimal_places=2)
    employee_total = models.DecimalField(max_digits=16, decimal_places=2)
    employer_total = models.DecimalField(max_digits=16, decimal_places=2)
    totals = models.JSONField(default=dict)  # per branch: [employee, employer]

    class Meta:
        verbose_name = _("total of a declaration file")
        verbose_name_plural = _("totals of declaration files")
        constraints = [models.UniqueConstraint(fields=["chunk", "declaration"], name="bulk_total_unique")]

    def __str__(self) -> str:
        return f"{self.chunk_id} → {self.declaration_id}"
