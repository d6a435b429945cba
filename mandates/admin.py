"""Staff back office for mandates: staff keep the register of accredited professionals; they see
mandates but never change them here (only the services give, change and end a mandate)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.backoffice import PersonalDataAdmin, ReadOnlyModelAdmin
from mandates.models import AccreditedProfessional, EnterpriseMandate, Mandate


def _compact(search_term: str) -> str:
    """A number typed with dots, dashes or spaces, as the registries keep it; words unchanged."""
    compact = "".join(ch for ch in search_term if ch.isalnum())
    return compact if compact.isdigit() else search_term


class AccreditedProfessionalForm(forms.ModelForm):
    class Meta:
        model = AccreditedProfessional
        fields = ["person", "kind", "accreditation_number", "organisation", "valid_from", "valid_until"]

    def clean_accreditation_number(self) -> str:
        # Citizens type the number as they read it; the services look it up in capitals.
        return str(self.cleaned_data["accreditation_number"]).strip().upper()


@admin.register(AccreditedProfessional)
class AccreditedProfessionalAdmin(PersonalDataAdmin):
    """An accreditation ends by its end date, never by deletion: mandates given under it keep
    pointing to it. A professional is a person: the register is a read of their data."""

    person_fields = ("person_id",)

    form = AccreditedProfessionalForm
    list_display = [
        "accreditation_number",
        "kind",
        "organisation",
        "person",
        "valid_from",
        "valid_until",
        "is_valid_today",
    ]
    list_filter = ["kind"]
    search_fields = ["=accreditation_number"]
    list_select_related = ["person"]
    raw_id_fields = ["person"]
    show_full_result_count = False

    @admin.display(description=_("valid today"), boolean=True)
    def is_valid_today(self, professional: AccreditedProfessional) -> bool:
        return professional.valid_from <= timezone.localdate() <= professional.valid_until

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Mandates already given name this person as proxy: the number and the person stay.
        return ["person", "accreditation_number"] if obj is not None else []

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AccreditedProfessional], search_term: str
    ) -> tuple[QuerySet[AccreditedProfessional], bool]:
        return super().get_search_results(request, queryset, search_term.strip().upper())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Mandate)
class MandateAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    # Who holds a mandate for whom is personal data: a list or a page is a read of both parties.
    person_fields = ("principal_id", "proxy_id")
    list_display = ["id", "principal", "proxy", "professional", "status", "starts_on", "ends_on", "created_at"]
    list_filter = ["status"]
    search_fields = ["=principal__national_number", "=proxy__national_number"]
    list_select_related = ["principal", "proxy", "professional"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Mandate], search_term: str
    ) -> tuple[QuerySet[Mandate], bool]:
        # Staff type national numbers with dots and dashes; the registry keeps the compact form.
        return super().get_search_results(request, queryset, _compact(search_term))


@admin.register(EnterpriseMandate)
class EnterpriseMandateAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    # Between enterprises; a page names the representatives who gave and ended it.
    person_fields = ("created_by.person_id", "revoked_by.person_id")
    list_display = ["id", "principal", "bureau", "scopes", "starts_on", "ends_on", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["=principal__enterprise_number", "=bureau__enterprise_number", "principal__name", "bureau__name"]
    list_select_related = ["principal", "bureau", "created_by", "revoked_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[EnterpriseMandate], search_term: str
    ) -> tuple[QuerySet[EnterpriseMandate], bool]:
        return super().get_search_results(request, queryset, _compact(search_term))
