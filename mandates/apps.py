from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MandatesConfig(AppConfig):
    name = "mandates"
    verbose_name = _("Mandates")

    def ready(self) -> None:
        from mandates.notification_events import MANDATES_EVENT_TYPES
        from notifications.services import event_types_register

        event_types_register(*MANDATES_EVENT_TYPES)
