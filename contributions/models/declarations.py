"""Monthly declarations: versions, lines, warnings, and reminders of missing ones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contributions.types import WorkerCategory


class DeclarationStatus(models.TextChoices):
    IN_FORCE = "in_force", _("in force")
    REPLACED = "replaced", _("replaced by a later version")
    # Lines of a bulk file being written: seen by nothing but the file's processing, which makes
    # the declarations of the whole file in force at once, or deletes them (all or nothing).
    PENDING = "pending", _("bulk file being processed")


class Channel(models.TextChoices):
    FORM = "form", _("web form")
    API = "api", _("API")
    FILE = "file", _("bulk file")


# A declaration whose lines the insured years do not count as its status says (come into force,
# or no longer in force, since the last fold).
TO_COUNT = Q(status="in_force", counted=False) | (~Q(status="in_force") & Q(counted=True))


class Declaration(models.Model):
    """An employer's monthly declaration (one version). A replacement is a new version; exactly
    one version of an (enterprise, period) is in force at any time (a database constraint)."""

    enterprise = models.ForeignKey("identity.Enterprise", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=DeclarationStatus.choices)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_with_key = models.ForeignKey(
        "identity.ApiKey", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    via_bureau = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bulk_upload = models.ForeignKey(
        "contributions.BulkUpload", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    line_count = models.PositiveIntegerField(_("lines"))
    total_wages = models.DecimalField(_("total gross wages"), max_digits=16, decimal_places=2)
    totals = models.JSONField(_("totals per branch"), default=dict)
    # Whether its lines are counted in the insured years (``InsuredYear``, contributions.careers):
    # set by the fold that adds the lines of a declaration come into force, and takes away those
    # of one no longer in force. Careers read the lines of the others as they are.
    counted = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "period"], condition=Q(status="in_force"), name="declaration_one_in_force"
            ),
            # A bulk file's declarations get their version when the file is accepted.
            models.UniqueConstraint(
                fields=["enterprise", "period", "version"],
                condition=~Q(status="pending"),
                name="declaration_version_unique",
            ),
            models.UniqueConstraint(
                fields=["bulk_upload", "enterprise", "period"],
                condition=Q(bulk_upload__isnull=False),
                name="declaration_one_per_file_group",
            ),
            models.CheckConstraint(
                condition=Q(submitted_by__isnull=False) | Q(submitted_with_key__isnull=False),
                name="declaration_has_author",
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "-period"], name="declaration_enterprise_idx"),
            # The filings of a period (its first versions), counted for the back office's figures.
            models.Index(fields=["period"], condition=Q(version=1), name="declaration_first_period_idx"),
            # The declarations whose lines the insured years count wrongly: the fold's work (a few).
            models.Index(fields=["id"], condition=TO_COUNT, name="declaration_to_count_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class DeclarationLine(models.Model):
    # No index of their own on the two keys: the unique (declaration, person) pair and the
    # person index below serve every lookup, and each index more is written for every line of a
    # bulk file.
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="lines", db_index=False)
    line_number = models.PositiveIntegerField()
    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+", db_index=False)
    worker_category = models.CharField(max_length=20, choices=WorkerCategory.choices)
    gross_wage = models.DecimalField(max_digits=12, decimal_places=2)
    days_worked = models.PositiveSmallIntegerField()
    employee_amount = models.DecimalField(max_digits=12, decimal_places=2)
    employer_amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("declaration line")
        verbose_name_plural = _("declaration lines")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "person"], name="declaration_line_one_per_person"),
            models.CheckConstraint(condition=Q(gross_wage__gte=0), name="declaration_line_wage_not_negative"),
        ]
        indexes = [models.Index(fields=["person"], name="declaration_line_person_idx")]

    def __str__(self) -> str:
        return f"{self.declaration_id}#{self.line_number}"


class DeclarationWarning(models.Model):
    """A warning kept with an accepted declaration (errors reject it and store nothing)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="warnings")
    line_number = models.PositiveIntegerField(null=True, blank=True)
    field = models.CharField(max_length=30, blank=True)
    code = models.CharField(max_length=40)

    class Meta:
        verbose_name = _("declaration warning")
        verbose_name_plural = _("declaration warnings")

    def __str__(self) -> str:
        return f"{self.code} line {self.line_number}"


class DeclarationReminder(models.Model):
    """An enterprise was reminded that its declaration of a period is missing. The unique pair
    makes the reminder job safe to run twice: a second run inserts nothing, so tells no one."""

    enterprise = models.ForeignKey("identity.Enterprise", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("declaration reminder")
        verbose_name_plural = _("declaration reminders")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "period"], name="declaration_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period}"


class InsuredYear(models.Model):
    """A person's insured year as the counted declarations make it (``Declaration.counted``):
    for each month, how many of their lines name the person with a gross wage above zero
    (``mNN``), and those wages together (``wNN``). What careers are read from — a row a year,
    not a line a month — with the lines of the declarations not counted yet (contributions.careers).

    A year whose lines all went out of force keeps its row, every month at zero."""

    person = models.ForeignKey(
        "identity.Person", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    year = models.SmallIntegerField()
    pk = models.CompositePrimaryKey("person", "year")
    m01 = models.IntegerField(default=0)
    m02 = models.IntegerField(default=0)
    m03 = models.IntegerField(default=0)
    m04 = models.IntegerField(default=0)
    m05 = models.IntegerField(default=0)
    m06 = models.IntegerField(default=0)
    m07 = models.IntegerField(default=0)
    m08 = models.IntegerField(default=0)
    m09 = models.IntegerField(default=0)
    m10 = models.IntegerField(default=0)
    m11 = models.IntegerField(default=0)
    m12 = models.IntegerField(default=0)
    w01 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w02 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w03 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w04 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w05 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w06 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w07 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w08 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w09 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w10 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w11 = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    w12 = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("insured year")
        verbose_name_plural = _("insured years")

    def __str__(self) -> str:
        return f"{self.person_id}:{self.year}"
