"""Schemes composed by staff (the statutory ones are code, in ``rules``)."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Periodicity(models.TextChoices):
    MONTHLY = "monthly", pgettext_lazy("benefit", "monthly")
    ONCE = "once", pgettext_lazy("benefit", "paid once")


# Every change of a composed scheme is kept with who made it: a decision names the version of
# the description it was computed with, and the history says who wrote it and when.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    meta={"verbose_name": _("composed scheme change"), "verbose_name_plural": _("composed scheme changes")},
)
class ComposedScheme(models.Model):
    """A benefit staff compose in the back office, without a deployment: conditions from a fixed
    vocabulary and an amount (``conditions`` and ``amount``, as ``benefits.rules`` reads them),
    in force from ``valid_from``; shown to the public once ``published``."""

    slug = models.SlugField(
        _("address"),
        max_length=40,
        unique=True,
        help_text=_(
            "Lower-case letters, digits and hyphens, for example winter-support: its page is then /benefits/winter-support/."
        ),
    )
    title_fr = models.CharField(_("title in French"), max_length=120)
    title_en = models.CharField(_("title in English"), max_length=120)
    summary_fr = models.CharField(_("summary in French"), max_length=300)
    summary_en = models.CharField(_("summary in English"), max_length=300)
    documents_fr = models.TextField(_("documents to provide, in French"), blank=True, help_text=_("One a line."))
    documents_en = models.TextField(_("documents to provide, in English"), blank=True, help_text=_("One a line."))
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    valid_from = models.DateField(_("in force from"))
    valid_until = models.DateField(_("in force until (included)"), null=True, blank=True)
    periodicity = models.CharField(_("how often it is paid"), max_length=10, choices=Periodicity.choices)
    decision_days = models.PositiveSmallIntegerField(
        _("decision within (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    conditions = models.JSONField(_("conditions"), default=list)
    amount = models.JSONField(_("amount"), default=dict)
    published = models.BooleanField(_("published"), default=False)
    composed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("composed scheme")
        verbose_name_plural = _("composed schemes")
        ordering = ["-valid_from", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="composed_scheme_period_valid",
            ),
            models.CheckConstraint(
                condition=Q(decision_days__gte=1, decision_days__lte=365), name="composed_scheme_decision_days"
            ),
        ]
        indexes = [models.Index(fields=["published", "valid_from"], name="composed_scheme_published_idx")]

    def __str__(self) -> str:
        return self.title_fr

    @property
    def code(self) -> str:
        """The engine's code of the scheme: the address with underscores."""
        return self.slug.replace("-", "_")

    def description(self) -> dict[str, object]:
        """The scheme as ``benefits.rules.add_composed_scheme`` reads it."""
        described: dict[str, object] = {
            "code": self.code,
            "valid_from": self.valid_from.isoformat(),
            "conditions": self.conditions,
            "amount": self.amount,
        }
        if self.valid_until is not None:
            described["valid_until"] = self.valid_until.isoformat()
        return described
