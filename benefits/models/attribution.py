"""Life events in: the civil registry's partners (their credentials and scopes), the signed
requests they sent (so that none is replayed), and the events themselves with their state."""

from __future__ import annotations

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
    # The person the event is about (the child, the deceased, the first spouse, who moved).
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("person")
    )
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
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
            models.Index(fields=["person", "kind"], name="life_event_person_idx"),
            models.Index(fields=["-received_at"], name="life_event_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_event_id} ({self.kind})"
