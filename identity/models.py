"""Registries (persons, enterprises), accounts, and the links between them."""

from __future__ import annotations

from typing import Any, ClassVar

import pghistory
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, BigIntegerRangeField, DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from identity.types import ApiKeyScope, EnterpriseRole, FamilyLinkKind, Language


def _validate_person_number(value: str) -> None:
    from django.core.exceptions import ValidationError

    from identity.country_profiles import country_profile
    from identity.types import InvalidIdentifier

    try:
        country_profile().person_number.validate(value)
    except InvalidIdentifier as error:
        raise ValidationError(error.message, code=error.code) from None


def _validate_enterprise_number(value: str) -> None:
    from django.core.exceptions import ValidationError

    from identity.country_profiles import country_profile
    from identity.types import InvalidIdentifier

    try:
        country_profile().enterprise_number.validate(value)
    except InvalidIdentifier as error:
        raise ValidationError(error.message, code=error.code) from None


# The fields of the civil registry that decisions rest on (a death ends a pension, an address
# decides residence): their values at the person's creation and at each change are kept, with who
# made it (database triggers, so the registry's events, bulk and SQL changes too). A change of
# other fields (the preferred language) leaves no row.
PERSON_HISTORY_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "death_date",
    "street",
    "postal_code",
    "city",
    "country",
)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange(*PERSON_HISTORY_FIELDS)),
    fields=list(PERSON_HISTORY_FIELDS),
    obj_field=pghistory.ObjForeignKey(related_name="history"),
    model_name="PersonEvent",
    meta={"verbose_name": _("person change"), "verbose_name_plural": _("person changes")},
)
class Person(models.Model):
    national_number = models.CharField(
        _("national number"), max_length=20, unique=True, validators=[_validate_person_number]
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    death_date = models.DateField(_("death date"), null=True, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country of residence (ISO code)"), max_length=2, default="BE")
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.FRENCH
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        permissions = [("serve_at_counter", _("Can open a person's file at the counter (assisted mode)"))]
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(death_date__isnull=True) | Q(death_date__gte=models.F("birth_date")),
                name="person_death_after_birth",
            )
        ]
        indexes = [models.Index(Lower("last_name"), "first_name", name="person_name_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def address(self) -> str:
        return self.address_of(street=self.street, postal_code=self.postal_code, city=self.city, country=self.country)

    @staticmethod
    def address_of(*, street: str, postal_code: str, city: str, country: str) -> str:
        parts = [street, f"{postal_code} {city}".strip(), country]
        return ", ".join(part for part in parts if part)


class Enterprise(models.Model):
    enterprise_number = models.CharField(
        _("enterprise number"), max_length=20, unique=True, validators=[_validate_enterprise_number]
    )
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country (ISO code)"), max_length=2, default="BE")

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        parts = [self.street, f"{self.postal_code} {self.city}".strip(), self.country]
        return ", ".join(part for part in parts if part)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    is_staff = models.BooleanField(_("staff member"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.FRENCH
    )
    person = models.OneToOneField(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
        verbose_name=_("linked person"),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Representation(models.Model):
    """An account acting for an enterprise, with a role. Revoked, never deleted."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="representations", verbose_name=_("account"))
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="representations", verbose_name=_("enterprise")
    )
    role = models.CharField(_("role"), max_length=20, choices=EnterpriseRole.choices)
    granted_at = models.DateTimeField(_("granted at"))
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("granted by")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("revoked by")
    )

    class Meta:
        verbose_name = _("enterprise representative")
        verbose_name_plural = _("enterprise representatives")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "enterprise"],
                condition=Q(revoked_at__isnull=True),
                name="representation_one_active_per_user_enterprise",
            )
        ]
        indexes = [
            models.Index(
                fields=["enterprise"], condition=Q(revoked_at__isnull=True), name="repr_active_enterprise_idx"
            ),
            models.Index(fields=["user"], condition=Q(revoked_at__isnull=True), name="repr_active_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.enterprise} ({self.get_role_display()})"


class ActivationCode(models.Model):
    """A one-time code, issued by staff (sent by post or handed at the counter), that proves
    the holder of an account is the person of the registry. Only its digest is stored."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="activation_codes", verbose_name=_("person")
    )
    digest = models.CharField(_("digest of the code"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("issued at"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("used by")
    )
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["person"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="activation_open_person_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.created_at:%Y-%m-%d}"


class BankAccount(models.Model):
    """Where the institution pays a person. A change ends the current account and starts a new
    one: the history stays, with who made each change and, for a proxy, under which mandate."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="bank_accounts")
    iban = models.CharField(_("IBAN"), max_length=34)
    holder_name = models.CharField(_("account holder"), max_length=140)
    created_at = models.DateTimeField(_("since"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by"))
    mandate_id = models.BigIntegerField(_("under mandate"), null=True, blank=True)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(ended_at__isnull=True), name="bank_account_one_current_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.iban[:4]}…{self.iban[-4:]}"


class ApiKey(models.Model):
    """A credential for an enterprise's payroll software. The key is shown once, when it is
    created; only its SHA-256 digest is kept (a 256-bit random secret needs no slow hash). The
    prefix identifies the key in lists and logs without revealing it."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=10, choices=ApiKeyScope.choices), verbose_name=_("scopes"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("revoked by")
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(condition=Q(scopes__len__gt=0), name="api_key_has_scope"),
        ]
        indexes = [models.Index(fields=["enterprise", "-created_at"], name="api_key_enterprise_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class _DateRange(Func):
    function = "DATERANGE"
    output_field = DateRangeField()


class _IdRange(Func):
    function = "INT8RANGE"
    output_field = BigIntegerRangeField()

    def __init__(self, field: str) -> None:
        super().__init__(F(field), F(field) + 1)


class _PersonPair(Func):
    """Both persons of a link as one value that GiST compares with ``&&`` (overlaps): a
    multirange of two one-id ranges, so two links sharing a person, on either side, overlap."""

    function = "INT8MULTIRANGE"
    output_field = BigIntegerRangeField()

    def __init__(self, first: str, second: str) -> None:
        super().__init__(_IdRange(first), _IdRange(second))


# Civil status is evidence for decisions (survivor's pension, birth grant): every insert,
# change and deletion is kept, with who made it (database triggers, so bulk and SQL changes too).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    meta={"verbose_name": _("family link change"), "verbose_name_plural": _("family link changes")},
)
class FamilyLink(models.Model):
    """A civil-status link between two persons of the registry.

    Spouses (a marriage or a registered partnership): ``person`` and ``relative`` are the two
    spouses; the link holds from ``started_on`` (the wedding) until the day before ``ended_on``
    (the divorce or the death), open-ended while it lasts — so a remarriage may start the day the
    previous link ended. Parent and child: ``person`` is the parent, ``relative`` the child, from
    the birth or the adoption."""

    kind = models.CharField(_("kind of link"), max_length=20, choices=FamilyLinkKind.choices)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="family_links",
        verbose_name=_("person"),
        help_text=_("A spouse, or the parent."),
    )
    relative = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="family_links_as_relative",
        verbose_name=_("relative"),
        help_text=_("The other spouse, or the child."),
    )
    started_on = models.DateField(
        _("from"), help_text=_("The date of the marriage or partnership, or of the birth or adoption.")
    )
    ended_on = models.DateField(
        _("ended on"),
        null=True,
        blank=True,
        help_text=_("The date of the divorce, dissolution or death; empty while the link lasts."),
    )

    class Meta:
        verbose_name = _("family link")
        verbose_name_plural = _("family links")
        ordering = ["person", "kind", "-started_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(person=F("relative")), name="family_link_not_to_self"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on")),
                name="family_link_period_valid",
            ),
            # A parent-child link does not end (an adoption undone is a correction of the record).
            models.CheckConstraint(
                condition=~Q(kind=FamilyLinkKind.PARENT_CHILD) | Q(ended_on__isnull=True),
                name="family_link_child_open_ended",
            ),
            models.UniqueConstraint(
                fields=["person", "relative"],
                condition=Q(kind=FamilyLinkKind.PARENT_CHILD),
                name="family_link_child_unique",
            ),
            # Nobody has two spouses at once, whichever side of the link they are on.
            ExclusionConstraint(
                name="family_link_one_spouse_at_a_time",
                expressions=[
                    (_PersonPair("person_id", "relative_id"), RangeOperators.OVERLAPS),
                    (_DateRange("started_on", "ended_on", models.Value("[)")), RangeOperators.OVERLAPS),
                ],
                condition=Q(kind__in=FamilyLinkKind.spouse_kinds()),
            ),
        ]
        indexes = [models.Index(fields=["relative", "kind"], name="family_link_relative_idx")]

    def __str__(self) -> str:
        return gettext("%(kind)s: %(person)s and %(relative)s from %(date)s") % {
            "kind": self.get_kind_display(),
            "person": self.person,
            "relative": self.relative,
            "date": date_format(self.started_on),
        }
