"""What every app's back office shares: the admin bases.

- ``PersonalDataAdmin``: an admin whose pages show persons' data. Every list, change page,
  history and delete confirmation it answers with a page (200) is recorded in the trail of each
  person it showed ("who accessed my data"), with the staff member's counter reason when one
  is open. A model names the persons a row shows in ``person_fields``.
- ``ReadOnlyModelAdmin``: records, trails and histories nobody adds to, edits or deletes from.
- ``staff_actor``: who acts in a back-office request (the admin's methods take Django's request).
- ``Choices``: a list of boxes to tick (groups of them in fieldsets), instead of Django's
  two-list selector, whose script adds ARIA labels to elements that may not have them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from core.actor import Actor
from core.audit import access_record, access_record_many
from core.http import portal_request
from core.types import AccessPurpose


def staff_actor(request: HttpRequest) -> Actor:
    """The actor of a back-office request (built by the portal's middleware)."""
    return portal_request(request).actor


class Choices(forms.CheckboxSelectMultiple):
    """Boxes to tick, each group of them a fieldset with its legend, labels as wide as they need
    (templates/admin/widgets/choices.html)."""

    template_name = "admin/widgets/choices.html"


def _follow(row: Any, path: str) -> Any:
    for name in path.split("."):
        row = getattr(row, name, None)
        if row is None:
            return None
    return row


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A back-office list nobody adds to, edits or deletes from (records, trails, histories);
    actions of its own may still act through services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ShownWithParent(admin.TabularInline):
    """A read-only table on its parent's page, seen by whoever sees the parent."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self.admin_site._registry[self.parent_model].has_view_permission(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NoPersonalDataAdmin(admin.ModelAdmin):
    """An admin that shows no person's data: ``why`` says so (the test that walks every admin
    reads it; a model that holds persons' data cannot be registered with this)."""

    why: ClassVar[str] = ""


class PersonalDataAdmin(admin.ModelAdmin):
    """An admin that shows persons' data, and records each time it does.

    ``person_fields`` names the attributes of a row that hold the id of a person it shows (for
    example ``("id",)`` for the person registry, ``("principal_id", "proxy_id")`` for a
    mandate); ``read_detail`` says, in the person's trail, what one row's page showed.
    """

    person_fields: ClassVar[tuple[str, ...]] = ()
    read_detail: ClassVar[str] = ""

    def persons_shown(self, rows: Iterable[Any]) -> list[int]:
        """The persons the rows show, in order, once each (``person_fields`` may follow a
        relation: ``"user.person_id"``; list it in ``list_select_related``)."""
        found = (_follow(row, name) for row in rows for name in self.person_fields)
        return list(dict.fromkeys(person_id for person_id in found if person_id is not None))

    def _record_page(self, request: HttpRequest, response: HttpResponse, *, detail: str) -> None:
        """A page of one row (change, history, delete confirmation), answered with the row."""
        if response.status_code != 200 or not isinstance(response, TemplateResponse):
            return
        context = response.context_data or {}
        row = context.get("original") or context.get("object")
        if row is None:
            return
        actor, now = staff_actor(request), timezone.now()
        for person_id in self.persons_shown([row]):
            access_record(
                actor=actor,
                subject_person_id=person_id,
                purpose=AccessPurpose.STAFF_REGISTRY_VIEW,
                now=now,
                detail=detail,
            )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            access_record_many(
                actor=staff_actor(request),
                subject_person_ids=self.persons_shown(changelist.result_list),
                purpose=AccessPurpose.STAFF_REGISTRY_SEARCH,
                now=timezone.now(),
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self._record_page(request, response, detail=self.read_detail)
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        self._record_page(request, response, detail="history")
        return response

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().delete_view(request, object_id, extra_context)
        self._record_page(request, response, detail="deletion")
        return response
