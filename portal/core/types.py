"""What the shared kernel hands to the apps: enums and value types."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessPurpose(models.TextChoices):
    STAFF_REGISTRY_VIEW = "staff_registry_view", _("Registry record consulted by staff")
    STAFF_REGISTRY_SEARCH = "staff_registry_search", _("Shown in a registry search by staff")
    STAFF_REGISTRY_CHANGE = "staff_registry_change", _("Registry record corrected by staff")
    STAFF_ACTIVATION_CODE = "staff_activation_code", _("Activation code issued by staff")
    PROXY_FILE_VIEW = "proxy_file_view", _("File consulted by a person you mandated")
