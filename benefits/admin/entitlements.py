"""Entitlements in the back office, read-only: what the grants opened, for the case workers."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from benefits.admin.payments import EntitlementAmountInline
from benefits.models import Entitlement
from core.backoffice import PersonalDataAdmin, ReadOnlyModelAdmin


@admin.register(Entitlement)
class EntitlementAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """What the grants opened, read-only: the sums and monthly amounts the payments pay, those
    replaced by an appeal's decision included (ended)."""

    person_fields = ("person_id",)
    read_detail = "entitlement"

    list_display = ["person", "scheme", "amount", "periodicity", "start_on", "end_on", "opened_at", "ended_at"]
    list_filter = ["scheme", "periodicity"]
    search_fields = ["claim__reference", "person__last_name", "=person__national_number"]
    list_select_related = ["person"]
    ordering = ["-opened_at"]
    fields = (
        "person",
        "claim_reference",
        "scheme",
        "amount",
        "periodicity",
        "start_on",
        "end_on",
        "iban",
        "opened_at",
        "ended_at",
    )
    readonly_fields = fields
    # The amounts in force over time (the decision's, each indexation).
    inlines = [EntitlementAmountInline]

    @admin.display(description=_("benefit claim"))
    def claim_reference(self, entitlement: Entitlement) -> str:
        return entitlement.claim.reference if entitlement.claim is not None else ""
