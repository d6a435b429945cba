import os
from decimal import Decimal
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# The first rate of late-payment interest: the former LATE_INTEREST_YEARLY_RATE setting, 7 % by
# default, in force since long before any debt.
FIRST_INTEREST_RATE_FROM = "2000-01-01"


def interest_rate_ensure(**_kwargs: Any) -> None:
    """After every migration (and every flush of the tables, which tests do): the table of
    late-payment interest rates is never empty — without a rate, no interest would accrue.
    Rates are only ever added (one in force cannot be deleted), so this adds the first one once."""
    from contributions.models import LateInterestRate

    if not LateInterestRate.objects.exists():
        LateInterestRate.objects.create(
            valid_from=FIRST_INTEREST_RATE_FROM,
            yearly_rate=Decimal(os.environ.get("LATE_INTEREST_YEARLY_RATE", "0.07")),
        )


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = _("Contributions")

    def ready(self) -> None:
        from contributions.notification_events import CONTRIBUTIONS_EVENT_TYPES
        from notifications.services import event_types_register

        event_types_register(*CONTRIBUTIONS_EVENT_TYPES)
        post_migrate.connect(interest_rate_ensure, sender=self, dispatch_uid="contributions-interest-rate")
