"""Staff back office for the registries and accounts. Opening a person's record is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity import services
from identity.country_profiles import country_profile
from identity.models import ActivationCode, Enterprise, Person, Representation, User
from portal.core.audit import access_record
from portal.core.models import AccessPurpose


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["national_number_display", "last_name", "first_name", "birth_date", "death_date", "country"]
    search_fields = ["=national_number", "last_name", "first_name"]
    list_filter = ["country", "preferred_language"]
    actions = ["issue_activation_code"]
    show_full_result_count = False

    @admin.display(description=_("national number"), ordering="national_number")
    def national_number_display(self, person: Person) -> str:
        return country_profile().person_number.format(person.national_number)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        # Staff type numbers with dots and dashes; the registry keeps the compact form.
        compact = "".join(ch for ch in search_term if ch.isalnum())
        if compact.isdigit():
            return queryset.filter(national_number=compact), False
        return super().get_search_results(request, queryset, search_term)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and object_id.isdigit():
            access_record(
                actor=request.actor,  # type: ignore[attr-defined]
                subject_person_id=int(object_id),
                purpose=AccessPurpose.STAFF_REGISTRY_VIEW,
                now=timezone.now(),
            )
        return response

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        obj.national_number = country_profile().person_number.validate(obj.national_number)
        super().save_model(request, obj, form, change)
        if change:
            access_record(
                actor=request.actor,  # type: ignore[attr-defined]
                subject_person_id=obj.pk,
                purpose=AccessPurpose.STAFF_REGISTRY_CHANGE,
                now=timezone.now(),
                detail=", ".join(form.changed_data),
            )

    @admin.action(description=_("Issue an activation code (to print and send by post)"), permissions=["issue_code"])
    def issue_activation_code(self, request: HttpRequest, queryset: QuerySet[Person]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one person."), messages.WARNING)
            return None
        person = queryset.get()
        now = timezone.now()
        code = services.activation_code_issue(actor=request.actor, person_id=person.pk, now=now)  # type: ignore[attr-defined]
        issued = ActivationCode.objects.filter(person=person).order_by("-created_at").first()
        return TemplateResponse(
            request,
            "admin/identity/activation_code.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Activation code"),
                "person": person,
                "code": code,
                "expires_at": issued.expires_at if issued else None,
                "opts": self.model._meta,
            },
        )

    def has_issue_code_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("identity.add_activationcode")


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["enterprise_number", "name", "city", "country"]
    search_fields = ["=enterprise_number", "name"]

    def save_model(self, request: HttpRequest, obj: Enterprise, form: Any, change: bool) -> None:
        obj.enterprise_number = country_profile().enterprise_number.validate(obj.enterprise_number)
        super().save_model(request, obj, form, change)


@admin.register(Representation)
class RepresentationAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "user", "role", "granted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["enterprise__name", "=enterprise__enterprise_number", "user__email"]
    list_select_related = ["enterprise", "user"]
    raw_id_fields = ["user", "enterprise", "granted_by", "revoked_by"]
    readonly_fields = ["granted_by", "revoked_by"]

    def save_model(self, request: HttpRequest, obj: Representation, form: Any, change: bool) -> None:
        if not change:
            obj.granted_by = request.user  # type: ignore[assignment]
            obj.granted_at = obj.granted_at or timezone.now()
        elif "revoked_at" in form.changed_data and obj.revoked_at:
            obj.revoked_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(ActivationCode)
class ActivationCodeAdmin(admin.ModelAdmin):
    list_display = ["person", "created_at", "created_by", "expires_at", "used_at", "voided_at", "failed_attempts"]
    list_select_related = ["person", "created_by"]
    readonly_fields = [f.name for f in ActivationCode._meta.fields if f.name != "digest"]
    exclude = ["digest"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from the person's page, never typed in

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "person"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["person"]
    raw_id_fields = ["person"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identity"), {"fields": ("first_name", "last_name", "preferred_language", "person")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ["groups"]
