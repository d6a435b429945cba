"""Mandates: a citizen lets a proxy (a relative, a trusted person or an accredited professional)
act in their file, for some scopes and a period; an enterprise lets a bureau act for it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from mandates.types import EnterpriseScope, MandateStatus, Scope

OPEN = [MandateStatus.REQUESTED, MandateStatus.PENDING, MandateStatus.ACTIVE]


class ProfessionalKind(models.TextChoices):
    SOCIAL_WORKER = "social_worker", _("social worker")
    LAWYER = "lawyer", _("lawyer")
    PAYROLL_BUREAU = "payroll_bureau", _("payroll bureau")
    ACCOUNTING_FIRM = "accounting_firm", _("accounting firm")


class AccreditedProfessional(models.Model):
    """The register of accredited professionals, kept by staff."""

    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    kind = models.CharField(_("kind"), max_length=20, choices=ProfessionalKind.choices)
    accreditation_number = models.CharField(_("accreditation number"), max_length=30, unique=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))

    class Meta:
        verbose_name = _("accredited professional")
        verbose_name_plural = _("accredited professionals")
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="accreditation_period_valid")
        ]

    def __str__(self) -> str:
        return f"{self.accreditation_number} ({self.get_kind_display()})"


class Mandate(ConcurrentTransitionMixin, models.Model):
    principal = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("principal")
    )
    proxy = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("proxy"))
    professional = models.ForeignKey(
        AccreditedProfessional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("as accredited professional"),
    )
    scopes = ArrayField(models.CharField(max_length=30, choices=Scope.choices), verbose_name=_("scopes"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = FSMField(_("status"), default=MandateStatus.PENDING, choices=MandateStatus.choices)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("previous version"),
    )
    reminded_30_days_at = models.DateTimeField(_("reminded 30 days before its end at"), null=True, blank=True)
    reminded_7_days_at = models.DateTimeField(_("reminded 7 days before its end at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="mandate_period_valid"),
            models.CheckConstraint(condition=~Q(principal=F("proxy")), name="mandate_not_to_oneself"),
            # One open mandate per principal and proxy: a change of scopes is a new version.
            models.UniqueConstraint(
                fields=["principal", "proxy"], condition=Q(status__in=OPEN), name="mandate_one_open_per_pair"
            ),
        ]
        indexes = [
            models.Index(fields=["proxy", "status"], name="mandate_proxy_idx"),
            models.Index(fields=["principal", "status"], name="mandate_principal_idx"),
            models.Index(fields=["ends_on"], condition=Q(status="active"), name="mandate_active_end_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.principal_id}→{self.proxy_id} ({self.get_status_display()})"

    # Transitions: the services call them under a row lock; ConcurrentTransitionMixin refuses a
    # save whose state changed meanwhile.
    @transition(field=status, source=MandateStatus.PENDING, target=MandateStatus.ACTIVE)
    def accept(self) -> None:
        pass

    @transition(field=status, source=MandateStatus.REQUESTED, target=MandateStatus.ACTIVE)
    def approve(self) -> None:
        pass

    @transition(field=status, source=[MandateStatus.REQUESTED, MandateStatus.PENDING], target=MandateStatus.DECLINED)
    def decline(self) -> None:
        pass

    @transition(field=status, source=OPEN, target=MandateStatus.REVOKED)
    def revoke(self) -> None:
        pass

    @transition(field=status, source=OPEN, target=MandateStatus.EXPIRED)
    def expire(self) -> None:
        pass

    @transition(field=status, source=OPEN, target=MandateStatus.ENDED_BY_DEATH)
    def end_by_death(self) -> None:
        pass

    @transition(field=status, source=MandateStatus.ACTIVE, target=MandateStatus.SUPERSEDED)
    def supersede(self) -> None:
        pass


class EnterpriseMandate(models.Model):
    """An enterprise lets a payroll bureau or accounting firm (another enterprise) act for it."""

    principal = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    bureau = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("bureau")
    )
    scopes = ArrayField(models.CharField(max_length=20, choices=EnterpriseScope.choices), verbose_name=_("scopes"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("enterprise mandate")
        verbose_name_plural = _("enterprise mandates")
        constraints = [
            models.CheckConstraint(condition=~Q(principal=F("bureau")), name="enterprise_mandate_not_to_itself"),
            models.UniqueConstraint(
                fields=["principal", "bureau"],
                condition=Q(revoked_at__isnull=True),
                name="enterprise_mandate_one_open_per_pair",
            ),
        ]
        indexes = [models.Index(fields=["bureau"], condition=Q(revoked_at__isnull=True), name="emandate_bureau_idx")]

    def __str__(self) -> str:
        return f"{self.principal_id}→{self.bureau_id}"
