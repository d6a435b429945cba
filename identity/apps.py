from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("Identity and registries")

    def ready(self) -> None:
        from identity import adapters  # noqa: F401 — connects the receiver of allauth's address changes
