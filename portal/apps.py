from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _group_name_shown(group: Any) -> str:
    # gettext("") would answer the catalogue's header.
    return gettext(group.name) if group.name else ""


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.contrib.auth.models import Group

        from portal.signals import staff_groups_sync_after_migrate

        # Not sender=self: post_migrate is only sent for apps with models, and the groups need
        # the permissions of the other apps (the receiver syncs at the last app).
        post_migrate.connect(staff_groups_sync_after_migrate, dispatch_uid="portal-staff-groups")
        # The staff roles keep stable English names (the sync and commands find them by name);
        # wherever a group is shown (lists, filters, an account's roles), it is read translated.
        Group.__str__ = _group_name_shown  # type: ignore[method-assign]
