from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portal.core.models import AccessRecord


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    """Read-only: the security officer audits; nobody edits the trail."""

    list_display = ["at", "actor_user", "subject_person", "purpose", "detail"]
    list_filter = ["purpose"]
    search_fields = ["actor_user__email", "=subject_person__national_number"]
    list_select_related = ["actor_user", "subject_person"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
