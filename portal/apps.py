from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal.signals import staff_groups_sync

        # Not sender=self: post_migrate is only sent for apps with models, and the groups need
        # the permissions of the other apps; the sync is idempotent and cheap.
        post_migrate.connect(staff_groups_sync, dispatch_uid="portal-staff-groups")
