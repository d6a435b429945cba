from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications import receivers  # noqa: F401 — connects the receivers
        from notifications.events import NOTIFICATIONS_EVENT_TYPES
        from notifications.services import event_types_register

        event_types_register(*NOTIFICATIONS_EVENT_TYPES)
