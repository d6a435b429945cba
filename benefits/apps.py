from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = _("Benefits")

    def ready(self) -> None:
        from benefits.notification_events import BENEFITS_EVENT_TYPES
        from notifications.services import event_types_register

        event_types_register(*BENEFITS_EVENT_TYPES)
