"""Life events in: the civil registry's partners (their credentials and scopes), the signed
requests they sent (so that none is replayed), and the events themselves with their state."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LifeEventKind(models.TextChoices):
    BIRTH = "birth", _("birth")
    MARRIAGE = "marriage", pgettext_lazy("event", "marriage")
    DEATH = "death", _("death")
    ADDRESS = "address", _("change of address")


class RegistryPartner(models.Model):
    """A civil registry (or a municipality) that sends life events: an API key (kept as its
    digest, shown once) and a secret that signs each request's body, with the kinds of events it
    may send."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    key_prefix = models.CharField(_("key prefix"), max_length=12, unique=True)
    key_digest = models.CharField(max_length=64, editable=False)
    # The HMAC secret: needed in clear to check each signature (like a webhook's secret).
    signing_secret = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=10, choices=LifeEventKind.choices), verbose_name=_("events it may send")
    )
    created_at = models.DateTimeField(_("created at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("civil registry partner")
        verbose_name_plural = _("civil registry partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerRequest(models.Model):
    """A signed request received: its signature, once. A replay (the same request sent again
    within the signature's five minutes) is refused by the unique constraint."""

    partner = models.ForeignKey(RegistryPartner, on_delete=models.PROTECT, related_name="+")
    signature = models.CharField(max_length=64)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "signature"], name="partner_request_once")]
        indexes = [models.Index(fields=["received_at"], name="partner_request_age_idx")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.received_at:%Y-%m-%d %H:%M:%S}"


class LifeEventState(models.TextChoices):
    RECEIVED = "received", _("received, to apply")
    APPLIED = "applied", _("applied")
    # A person it names is not in the registry yet: applied when they appear.
    WAITING = "waiting", _("waiting for a person unknown today")
    FAILED = "failed", _("failed")


class LifeEvent(models.Model):
    """One event a partner sent, stored as received (its data as JSON) and applied to the
    registry; the partner's id makes a repeated event harmless (acknowledged, not stored)."""

    partner = models.ForeignKey(
        RegistryPartner, on_delete=models.PROTECT, related_name="events", verbose_name=_("partner")
    )
    partner_event_id = models.CharField(_("partner's event id"), max_length=64)
    kind = models.CharField(_("event"), max_length=10, choices=LifeEventKind.choices)
    occurred_on = models.DateField(_("date of the event"))
    # The partner's id of the event this one corrects (a death date corrected, a new address).
    corrects = models.CharField(_("corrects the event"), max_length=64, blank=True)
    data = models.JSONField(_("data"))
    received_at = models.DateTimeField(_("received at"))
    state = models.CharField(_("state"), max_length=10, choices=LifeEventState.choices, default=LifeEventState.RECEIVED)
    # The national numbers it names that the registry does not know yet.
    waiting_for = ArrayField(models.CharField(max_length=20), default=list, blank=True, verbose_name=_("waiting for"))
    failure_code = models.CharField(_("reason code"), max_length=40, blank=True)
    failure_detail = models.CharField(_("reason"), max_length=300, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    # When the benefits it opens were proposed (empty: to do, once applied).
    proposed_at = models.DateTimeField(_("proposals made at"), null=True, blank=True)
    # The person the event is about (the child, the deceased, the first spouse, who moved).
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("person")
    )
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The registry clerk who imported the batch file it came in (empty: sent through the API).
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        permissions = [("retry_lifeevent", _("Can send failed or waiting life events back to be applied"))]
        constraints = [
            models.UniqueConstraint(fields=["partner", "partner_event_id"], name="life_event_once_per_partner"),
        ]
        indexes = [
            # The work: events to apply, and those waiting for a person.
            models.Index(
                fields=["state", "id"], condition=Q(state__in=["received", "waiting"]), name="life_event_open_idx"
            ),
            # Events applied whose proposals are not made yet (the batches take the oldest).
            models.Index(
                fields=["id"],
                condition=Q(state="applied", proposed_at__isnull=True),
                name="life_event_to_propose_idx",
            ),
            models.Index(fields=["person", "kind"], name="life_event_person_idx"),
            models.Index(fields=["-received_at"], name="life_event_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_event_id} ({self.kind})"


class ProposalTrigger(models.TextChoices):
    BIRTH = "birth", _("a birth")
    MARRIAGE = "marriage", _("a marriage")
    DEATH = "death", _("a death")
    PENSION_AGE = "pension_age", _("the pension age coming")


class AttributionRule(models.Model):
    """One rule of proactive attribution (a benefit proposed on a trigger), switched on and off by
    staff, verified by a case worker or automatically (then a random share still is)."""

    trigger = models.CharField(_("trigger"), max_length=12, choices=ProposalTrigger.choices)
    scheme = models.CharField(_("benefit"), max_length=60)
    enabled = models.BooleanField(_("switched on"), default=False)
    auto_verify = models.BooleanField(_("verified automatically"), default=False)
    sample_share = models.DecimalField(
        _("share still verified by a case worker"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        help_text=_("Between 0 and 1: 0.1 sends one proposal in ten to a case worker."),
    )
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("attribution rule")
        verbose_name_plural = _("attribution rules")
        ordering = ["trigger", "scheme"]
        constraints = [
            models.UniqueConstraint(fields=["trigger", "scheme"], name="attribution_rule_once"),
            models.CheckConstraint(
                condition=Q(sample_share__gte=0, sample_share__lte=1), name="attribution_rule_share_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} — {self.scheme}"


class DryRunState(models.TextChoices):
    # Asked, waiting for a worker or being computed by one (under the run's row lock).
    QUEUED = "queued", _("queued")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class AttributionDryRun(models.Model):
    """A rule's dry run asked by staff: queued, run by a worker over the registry (writing
    nothing but this record), and its result kept — per benefit and month, how many proposals and
    what amount the rule would create — with who asked and when."""

    rule = models.ForeignKey(AttributionRule, on_delete=models.CASCADE, related_name="dry_runs", verbose_name=_("rule"))
    state = models.CharField(_("state"), max_length=8, choices=DryRunState.choices, default=DryRunState.QUEUED)
    requested_at = models.DateTimeField(_("asked at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("asked by")
    )
    # The moment the registry was read as of (the worker's, when it took the run).
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The registry's events (or, for the pension rule, the persons) read.
    read = models.PositiveIntegerField(_("events or persons read"), null=True, blank=True)
    # [{"scheme": "birth_grant", "month": "2026-05", "proposals": 12, "amount": "14400.00"}, ...]
    lines = models.JSONField(_("result"), default=list, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("dry run")
        verbose_name_plural = _("dry runs")
        constraints = [
            # Asked twice (a double click, two supervisors): one run at a time for a rule.
            models.UniqueConstraint(fields=["rule"], condition=Q(state="queued"), name="dry_run_one_open_per_rule"),
        ]
        indexes = [
            models.Index(fields=["rule", "-requested_at"], name="dry_run_rule_idx"),
            models.Index(
                fields=["requested_at"], condition=Q(state__in=["queued", "running"]), name="dry_run_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.requested_at:%Y-%m-%d %H:%M}"


class ProposalStatus(models.TextChoices):
    # Computed from the registry and the record: a case worker checks it (or a sample of those
    # checked automatically).
    TO_VERIFY = "to_verify", _("to verify")
    # Verified: the person is told and answers (confirms, declines or disputes).
    OFFERED = "offered", _("offered, waiting for the person's answer")
    ACCEPTED = "accepted", _("accepted: the benefit is open")
    DECLINED = "declined", _("declined by the person")
    DISPUTED = "disputed", _("disputed: a claim is open")
    # Not due after all: refused at verification, or re-evaluated on new data.
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_PROPOSAL_STATUSES = (ProposalStatus.TO_VERIFY, ProposalStatus.OFFERED)


class ExplanationTemplate(models.Model):
    """The explanation of the proposals of a batch written once (a batch of births writes 10,000
    proposals whose explanations differ only by a few values): its JSON text with a slot
    (``%s``, a literal ``%`` doubled) for each value that differs between persons; each proposal
    keeps its values. Kept once for the same text (``digest``: its SHA-256)."""

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    form = models.TextField(_("form"))

    class Meta:
        verbose_name = _("explanation template")
        verbose_name_plural = _("explanation templates")

    def __str__(self) -> str:
        return self.digest[:12]


class Proposal(models.Model):
    """A benefit proposed without any application, from a life event or the calendar: the
    amount and its computation (what the engine answered, with the data and rules versions), the
    state of its verification, and the person's answer. Accepted, it opens the entitlement."""

    reference = models.CharField(_("reference"), max_length=20, blank=True)
    # Indexed first in ``proposal_once_per_right`` and ``proposal_person_idx``: no index of its own
    # (a batch of births inserts 10,000 proposals).
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("beneficiary"), db_index=False
    )
    # The child of a birth grant or family allowance, the deceased spouse of a funeral grant.
    subject = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("about")
    )
    scheme = models.CharField(_("benefit"), max_length=60)
    periodicity = models.CharField(_("paid"), max_length=10)
    trigger = models.CharField(_("because of"), max_length=12, choices=ProposalTrigger.choices)
    event = models.ForeignKey(
        LifeEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals", verbose_name=_("event")
    )
    # The first month due.
    month = models.DateField(_("from the month"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    # The computation kept whole (``explanation``), or, written by a batch, its template and the
    # values of its slots (JSON texts).
    computation = models.JSONField(_("computation"), null=True, blank=True)
    explanation_template = models.ForeignKey(
        ExplanationTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("explanation template"),
        db_index=False,  # a template is never deleted: nothing looks its proposals up by it
    )
    explanation_values = ArrayField(models.TextField(), verbose_name=_("explanation values"), null=True, blank=True)
    rules_fingerprint = models.CharField(_("rules version"), max_length=100)
    openfisca_core = models.CharField(_("OpenFisca-core version"), max_length=20)
    data_version = models.CharField(_("data version"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices)
    created_at = models.DateTimeField(_("proposed at"))
    # Verified by a case worker, or automatically (``sampled``: also sent to a case worker).
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_automatically = models.BooleanField(_("verified automatically"), default=False)
    sampled = models.BooleanField(_("drawn for a check by a person"), default=False)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    note = models.CharField(_("reason given"), max_length=500, blank=True)
    entitlement = models.OneToOneField(
        "Entitlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposal",
        verbose_name=_("benefit opened"),
    )
    claim = models.OneToOneField(
        "Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="proposal", verbose_name=_("claim")
    )

    class Meta:
        verbose_name = _("benefit proposed")
        verbose_name_plural = _("benefits proposed")
        permissions = [("verify_proposal", _("Can verify the benefits proposed without an application"))]
        constraints = [
            # Proposed once for the same right: a repeated event, a scan run twice, a declined
            # proposal never come back.
            models.UniqueConstraint(
                fields=["person", "scheme", "subject", "month"], nulls_distinct=False, name="proposal_once_per_right"
            ),
            # A benefit about someone (the birth grant and the family allowance about a child, the
            # funeral grant about the deceased) is proposed once, to whichever parent or spouse
            # is entitled first: the other parent's declaration in a later batch proposes nothing.
            models.UniqueConstraint(
                fields=["scheme", "subject", "month"],
                condition=Q(subject__isnull=False),
                name="proposal_once_per_subject",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="proposal_amount_positive"),
            models.CheckConstraint(
                condition=Q(computation__isnull=False)
                | Q(explanation_template__isnull=False, explanation_values__isnull=False),
                name="proposal_explained",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="proposal_queue_idx"),
            models.Index(fields=["person", "-created_at"], name="proposal_person_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or f"{self.scheme} {self.person_id}"

    @property
    def explanation(self) -> dict[str, Any]:
        """The computation: kept whole, or the batch's template filled with the proposal's values."""
        if self.computation is not None:
            return dict(self.computation)
        if self.explanation_template is None or self.explanation_values is None:
            raise ValueError(f"proposal {self.pk} has no computation")
        return dict(json.loads(self.explanation_template.form % tuple(self.explanation_values)))
