"""The staff roles in the back office: Django's groups, read in the reader's language.

A role is a group with a stable English name (``portal.signals.STAFF_GROUPS``): the sync after
each migration and commands (``send_service_notice --staff-group``) find it by that name, so it
is not renamed here. People read it translated (``Group.__str__``, set in ``PortalConfig.ready``),
and a role's permissions are offered by the names of the back-office pages they open.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

# Django's admin of groups is imported first so that it is registered before being replaced.
import django.contrib.auth.admin  # noqa: F401
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import ManyToManyField, Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.backoffice import Choices, NoPersonalDataAdmin
from portal.signals import STAFF_GROUPS

# The four permissions Django gives every model, worded for the reader.
_DEFAULT_ACTIONS = {"add": _("Can add"), "change": _("Can change"), "delete": _("Can delete"), "view": _("Can view")}


def permission_page(permission: Permission) -> str:
    """« Application | model »: the pages a permission is about, in the active language."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission.content_type)
    return f"{capfirst(model._meta.app_config.verbose_name)} | {model._meta.verbose_name}"


def permission_label(permission: Permission) -> str:
    """What a permission allows, in the active language: Django stores the permissions' names
    in English when it creates them."""
    model = permission.content_type.model_class()
    action = permission.codename.split("_", 1)[0]
    if model is not None and action in _DEFAULT_ACTIONS and permission.codename == f"{action}_{model._meta.model_name}":
        return str(_DEFAULT_ACTIONS[action])
    return gettext(permission.name)  # a model's own permission, named in our catalogue


class PermissionsByPage(ModelChoiceIterator):
    """The permissions grouped by the pages they are about (one group of boxes per model)."""

    def __iter__(self) -> Iterator[Any]:
        for _content_type, permissions in groupby(self.queryset, key=lambda permission: permission.content_type_id):
            listed = list(permissions)
            yield permission_page(listed[0]), [self.choice(permission) for permission in listed]


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    iterator = PermissionsByPage

    def label_from_instance(self, permission: Permission) -> str:
        return permission_label(permission)


def _role_permissions() -> Q:
    query = Q(pk__in=[])
    for codenames in STAFF_GROUPS.values():
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
    return query


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(NoPersonalDataAdmin, DjangoGroupAdmin):
    why = "staff roles and their permissions"

    list_display = ["role"]
    # Boxes to tick, by the pages they open (no script, nothing to filter).
    filter_horizontal = ()

    def permissions_offered(self) -> QuerySet[Permission]:
        """The permissions of the back office's pages, and those a role has: a permission of a
        model without a page here would give nothing."""
        pages = ContentType.objects.get_for_models(*self.admin_site._registry, for_concrete_models=False).values()
        return (
            Permission.objects.filter(Q(content_type__in=pages) | _role_permissions())
            .select_related("content_type")
            .order_by("content_type__app_label", "content_type__model", "codename")
        )

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField[Any] | None:
        if db_field.name == "permissions":
            return PermissionChoiceField(
                queryset=self.permissions_offered(),
                widget=Choices,
                required=False,
                label=capfirst(db_field.verbose_name),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("role"), ordering="name")
    def role(self, group: Group) -> str:
        if group.name in STAFF_GROUPS:
            # The stable name too, as code and commands write it.
            return format_html('{} (<code translate="no">{}</code>)', gettext(group.name), group.name)
        return group.name

    def is_staff_role(self, group: Group | None) -> bool:
        return group is not None and group.name in STAFF_GROUPS

    def get_fields(self, request: HttpRequest, obj: Group | None = None) -> list[Any]:
        return ["role", "permissions"] if self.is_staff_role(obj) else ["name", "permissions"]

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> list[str]:
        return ["role"] if self.is_staff_role(obj) else []
