from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = _("Contributions")

    def ready(self) -> None:
        from contributions.notification_events import CONTRIBUTIONS_EVENT_TYPES
        from notifications.services import event_types_register

        event_types_register(*CONTRIBUTIONS_EVENT_TYPES)
