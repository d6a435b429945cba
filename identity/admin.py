"""Staff back office for the registries and accounts. Opening a person's record is audited."""

from __future__ import annotations

from typing import Any

# The admins of allauth and django-axes are imported first so that they are registered before
# this module replaces them (below).
import allauth.account.admin
import allauth.mfa.admin
import allauth.usersessions.admin  # noqa: F401
import axes.admin
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.audit import access_record, changed_fields
from core.backoffice import Choices, NoPersonalDataAdmin, PersonalDataAdmin, staff_actor
from core.types import AccessPurpose
from identity import services
from identity.country_profiles import country_profile
from identity.models import ActivationCode, Enterprise, FamilyLink, Person, Representation, User
from identity.selectors import persons_of_sign_in_addresses
from identity.types import IdentityError, InvalidIdentifier


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "national_number",
            "first_name",
            "last_name",
            "birth_date",
            "death_date",
            "street",
            "postal_code",
            "city",
            "country",
            "preferred_language",
        ]

    def clean_national_number(self) -> str:
        # Staff type dots and dashes; the registry keeps (and checks uniqueness of) the compact form.
        try:
            return country_profile().person_number.validate(self.cleaned_data["national_number"])
        except InvalidIdentifier as error:
            raise forms.ValidationError(error.message, code=error.code) from None


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = ["enterprise_number", "name", "street", "postal_code", "city", "country"]

    def clean_enterprise_number(self) -> str:
        try:
            return country_profile().enterprise_number.validate(self.cleaned_data["enterprise_number"])
        except InvalidIdentifier as error:
            raise forms.ValidationError(error.message, code=error.code) from None


@admin.register(Person)
class PersonAdmin(PersonalDataAdmin):
    form = PersonForm
    person_fields = ("id",)
    list_display = ["national_number_display", "last_name", "first_name", "birth_date", "death_date", "country"]
    readonly_fields = ["counter_link"]
    search_fields = ["=national_number", "last_name", "first_name"]
    list_filter = ["country", "preferred_language"]
    actions = ["issue_activation_code"]
    show_full_result_count = False

    @admin.display(description=_("at the counter"))
    def counter_link(self, person: Person) -> str:
        if person.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("portal:assisted_start", args=[person.pk]),
            _("Open this file with the person"),
        )

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

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            access_record(
                actor=staff_actor(request),
                subject_person_id=obj.pk,
                purpose=AccessPurpose.STAFF_REGISTRY_CHANGE,
                now=timezone.now(),
                detail=changed_fields(form.changed_data),
            )

    @admin.action(description=_("Issue an activation code (to print and send by post)"), permissions=["issue_code"])
    def issue_activation_code(self, request: HttpRequest, queryset: QuerySet[Person]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one person."), messages.WARNING)
            return None
        person = queryset.get()
        now = timezone.now()
        code = services.activation_code_issue(actor=staff_actor(request), person_id=person.pk, now=now)
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


@admin.register(FamilyLink)
class FamilyLinkAdmin(PersonalDataAdmin):
    """Civil-status links, kept by registry clerks. Every change is kept in the link's history
    with who made it (django-pghistory); both persons' trails record each page that shows them."""

    person_fields = ("person_id", "relative_id")
    list_display = ["kind", "person", "relative", "started_on", "ended_on"]
    list_filter = ["kind"]
    list_select_related = ["person", "relative"]
    search_fields = ["=person__national_number", "=relative__national_number", "person__last_name"]
    raw_id_fields = ["person", "relative"]
    date_hierarchy = "started_on"
    show_full_result_count = False


@admin.register(Enterprise)
class EnterpriseAdmin(NoPersonalDataAdmin):
    why = "the enterprise registry: enterprises, not persons"
    form = EnterpriseForm
    list_display = ["enterprise_number", "name", "city", "country"]
    search_fields = ["=enterprise_number", "name"]


class RepresentationGrantForm(forms.ModelForm):
    class Meta:
        model = Representation
        fields = ["enterprise", "user", "role"]


@admin.register(Representation)
class RepresentationAdmin(PersonalDataAdmin):
    """Roles change only through the identity services (same rules as on the portal); the
    history is never edited nor deleted. Who represents an enterprise is the representative's
    data."""

    person_fields = ("user.person_id",)

    form = RepresentationGrantForm
    list_display = ["enterprise", "user", "role", "granted_at", "granted_by", "revoked_at", "revoked_by"]
    list_filter = ["role"]
    search_fields = ["enterprise__name", "=enterprise__enterprise_number", "user__email"]
    list_select_related = ["enterprise", "user", "granted_by", "revoked_by"]
    raw_id_fields = ["user", "enterprise"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Representation, form: Any, change: bool) -> None:
        try:
            obj.pk = services.representation_grant_by_staff(
                actor=staff_actor(request),
                enterprise_id=obj.enterprise_id,
                user_id=obj.user_id,
                role=obj.role,
                now=timezone.now(),
            )
        except IdentityError as error:
            raise PermissionDenied(str(error.message)) from None

    @admin.action(description=_("Withdraw the selected roles"), permissions=["add"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Representation]) -> None:
        for representation in queryset.filter(revoked_at__isnull=True):
            try:
                services.representation_revoke_by_staff(
                    actor=staff_actor(request),
                    enterprise_id=representation.enterprise_id,
                    representation_id=representation.pk,
                    now=timezone.now(),
                )
            except IdentityError as error:
                self.message_user(request, f"{representation}: {error.message}", messages.ERROR)


@admin.register(ActivationCode)
class ActivationCodeAdmin(PersonalDataAdmin):
    person_fields = ("person_id",)
    list_display = ["person", "created_at", "created_by", "expires_at", "used_at", "voided_at", "failed_attempts"]
    list_select_related = ["person", "created_by"]
    readonly_fields = [f.name for f in ActivationCode._meta.fields if f.name != "digest"]
    exclude = ["digest"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from the person's page, never typed in

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffAccountForm(forms.ModelForm):
    """A new staff account: its address and name, no password. Its holder sets one through the
    password reset sent to that address, so nobody but them ever knows it."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]


@admin.register(User)
class UserAdmin(PersonalDataAdmin, DjangoUserAdmin):
    """Accounts. Nothing here opens a way into an account: the sign-in address changes only
    through the verified flow (the person on "E-mail addresses", or staff at the counter with
    the person present), passwords only through the holder's own reset, the link to a person
    only through an activation code; privileges are given by superusers only, and every change
    of an account linked to a person is in that person's trail."""

    person_fields = ("person_id",)
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "person"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["person"]
    fieldsets = (
        (None, {"fields": ("email",)}),
        (_("Identity"), {"fields": ("first_name", "last_name", "preferred_language", "person")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_form = StaffAccountForm
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name")}),)
    # A few staff roles: boxes to tick, in the reader's language (no script, nothing to filter).
    filter_horizontal = ()
    formfield_overrides = {models.ManyToManyField: {"widget": Choices}}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        # The address signs in and receives password resets: never typed in by staff. The link
        # to a person is proved by an activation code; privileges are given by superusers only
        # (a security officer may deactivate an account, not promote one).
        readonly = ["email", "person", "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += ["is_staff", "is_superuser", "groups"]
        return readonly

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if change and obj.person_id is not None and form.changed_data:
            access_record(
                actor=staff_actor(request),
                subject_person_id=obj.person_id,
                purpose=AccessPurpose.STAFF_ACCOUNT_CHANGE,
                now=timezone.now(),
                detail=changed_fields(form.changed_data),
            )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # Nobody sets someone else's password: whoever knew it could sign in as them.
        raise PermissionDenied


# --- What other libraries register: accounts' addresses, second factors, sessions, sign-in attempts.
# Replaced by admins that show without changing, and record whose data they showed. Their own
# admin modules are imported first (at the top), so that they are registered before being replaced.
# (The staff roles, Django's groups, are the portal's: portal/admin.py.)
for _model in (EmailAddress, Authenticator, UserSession, AccessAttempt, AccessLog, AccessFailureLog):
    admin.site.unregister(_model)


def _names_shown(model: type[models.Model], *, singular: Any, plural: Any, fields: dict[str, Any]) -> None:
    """Name a library's model and fields in our catalogue, where the library leaves them without
    translation: allauth's second factors and sessions name them in plain English (no gettext),
    and django-axes' French catalogue lacks some. Only the names shown change: migrations read
    the names a model was declared with (``Options.original_attrs``, ``Field._verbose_name``)."""
    model._meta.verbose_name = singular
    model._meta.verbose_name_plural = plural
    for name, label in fields.items():
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)
        field.verbose_name = label


_names_shown(
    Authenticator,
    singular=_("second factor"),
    plural=_("second factors"),
    fields={
        "user": _("account"),
        "type": _("kind"),
        "data": _("data"),
        "created_at": _("added at"),
        "last_used_at": _("last used at"),
    },
)
_names_shown(
    UserSession,
    singular=_("open session"),
    plural=_("open sessions"),
    fields={
        "user": _("account"),
        "created_at": _("started at"),
        "ip": _("IP address"),
        "last_seen_at": _("last seen at"),
        "user_agent": _("browser"),
        "data": _("data"),
    },
)
for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    _names_shown(
        _model,
        singular=_model._meta.verbose_name,
        plural=_model._meta.verbose_name_plural,
        fields={"user_agent": _("browser"), "http_accept": _("formats accepted (HTTP Accept)")},
    )
AccessLog._meta.get_field("session_hash").verbose_name = _("session key digest (SHA-256)")
apps.get_app_config("mfa").verbose_name = _("Two-factor authentication")
apps.get_app_config("axes").verbose_name = _("Sign-in security")


class _AccountDataAdmin(PersonalDataAdmin):
    """Rows of an account: the person is the account's."""

    person_fields = ("user.person_id",)
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EmailAddress)
class EmailAddressAdmin(_AccountDataAdmin):
    """Sign-in addresses, to read: an address is added and verified by its holder through
    allauth's flow (or at the counter, with the person), never set or verified by staff."""

    list_display = ["email", "user", "primary", "verified"]
    list_filter = ["primary", "verified"]
    search_fields = ["email", "user__email"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Authenticator)
class AuthenticatorAdmin(_AccountDataAdmin):
    """Second factors, to read — never their secrets. A security officer may remove one (a lost
    phone); the holder is told and signs in with a recovery code or enrols again."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = ("user", "type", "created_at", "last_used_at")


@admin.register(UserSession)
class UserSessionAdmin(_AccountDataAdmin):
    """Open sessions (address and browser: personal data); a security officer may end one."""

    list_display = ["user", "created_at", "last_seen_at", "ip", "user_agent"]
    search_fields = ["ip", "user__email"]
    exclude = ["data"]


class _SignInAttemptAdmin(PersonalDataAdmin):
    """django-axes' records, keyed by the address typed in: the person is that account's."""

    def persons_shown(self, rows: Any) -> list[int]:
        addresses = [row.username for row in rows if row.username]
        by_address = persons_of_sign_in_addresses(addresses=addresses)
        return list(dict.fromkeys(by_address[a] for a in addresses if a in by_address))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LockedOutFilter(admin.SimpleListFilter):
    title = _("locked out")
    parameter_name = "locked_out"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> QuerySet[AccessAttempt]:
        limit = settings.AXES_FAILURE_LIMIT
        if self.value() == "yes":
            return queryset.filter(failures_since_start__gte=limit)
        if self.value() == "no":
            return queryset.filter(failures_since_start__lt=limit)
        return queryset


@admin.register(AccessAttempt)
class AccessAttemptAdmin(_SignInAttemptAdmin, axes.admin.AccessAttemptAdmin):
    """Failed sign-ins that count towards a lock-out; deleting one lifts the lock. django-axes'
    status, filter and action, worded in our catalogue (its own leaves them in English)."""

    list_display = [
        "attempt_time",
        "ip_address",
        "user_agent",
        "username",
        "path_info",
        "failures_since_start",
        "status",
    ]
    list_filter = ["attempt_time", "path_info", LockedOutFilter]
    fieldsets = (
        (None, {"fields": ("username", "path_info", "failures_since_start", "expires_at")}),
        *axes.admin.AccessAttemptAdmin.fieldsets[1:],
    )
    readonly_fields = [
        *(name for name in axes.admin.AccessAttemptAdmin.readonly_fields if name != "expiration"),
        "expires_at",
    ]

    @admin.display(description=_("expires at"))
    def expires_at(self, attempt: AccessAttempt) -> Any:
        return attempt.expiration.expires_at if hasattr(attempt, "expiration") else "—"

    @admin.display(description=_("status"))
    def status(self, attempt: AccessAttempt) -> str:
        left = settings.AXES_FAILURE_LIMIT - attempt.failures_since_start
        if left <= 0:
            return gettext("locked out")
        return ngettext("%(count)d attempt left", "%(count)d attempts left", left) % {"count": left}

    @admin.action(description=_("Remove the expired attempts"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext("%(count)d expired attempt removed.", "%(count)d expired attempts removed.", count)
            % {"count": count},
        )


@admin.register(AccessLog)
class AccessLogAdmin(_SignInAttemptAdmin, axes.admin.AccessLogAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(_SignInAttemptAdmin, axes.admin.AccessFailureLogAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
