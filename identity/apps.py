from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("Identity and registries")

    def ready(self) -> None:
        from core.audit import changed_field_labels_register
        from core.types import AccessPurpose
        from identity import adapters  # noqa: F401 — connects the receiver of allauth's address changes
        from identity.models import Person, User

        # Staff corrections of a person's record and of an account are kept as field names; the
        # person's trail names the fields by their labels, in the reader's language.
        for purpose, model in (
            (AccessPurpose.STAFF_REGISTRY_CHANGE, Person),
            (AccessPurpose.STAFF_ACCOUNT_CHANGE, User),
        ):
            changed_field_labels_register(
                purpose=purpose,
                labels={field.name: field.verbose_name for field in model._meta.get_fields() if field.concrete},
            )
