from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = _("Benefits")

    def ready(self) -> None:
        from benefits.notification_events import BENEFITS_EVENT_TYPES
        from notifications.services import event_types_register

        event_types_register(*BENEFITS_EVENT_TYPES)
        post_migrate.connect(_rules_ensure, sender=self, dispatch_uid="benefits-attribution-rules")


def _rules_ensure(*, apps: Any = None, using: str = DEFAULT_DB_ALIAS, **_kwargs: Any) -> None:
    """After ``migrate`` and after a flush (which empties the tables a migration filled): each
    attribution rule the code knows exists (not before its table: a migration back to an older
    state)."""
    from benefits.attribution.rules import rules_ensure

    try:  # a flush names no state: the models as the code knows them
        model = (apps or global_apps).get_model("benefits", "AttributionRule")
    except LookupError:
        return
    rules_ensure(model, using=using)
