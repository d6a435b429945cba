"""Create the demo world (idempotent): citizens, employers and their representatives, staff.

Every account uses the demo password; staff and employer administrators also have the demo
TOTP secret (MFA is mandatory for them). ``manage.py demo_totp`` prints the current code.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from benefits.models import ComposedScheme
from contributions.models import DiscrepancyReport, Employment, EmploymentEvent
from core.periods import Period
from devtools.attribution import demo_attribution_seed
from devtools.claims import demo_claims_seed
from devtools.history import paid_history
from devtools.payments import demo_payments_seed
from devtools.rates import demo_rates_seed
from identity.country_profiles import country_profile
from identity.models import ActivationCode, ApiKey, Enterprise, FamilyLink, Person, Representation, User
from identity.types import EnterpriseRole, FamilyLinkKind
from mandates.models import EnterpriseMandate, Mandate
from mandates.types import MandateStatus, Scope
from notifications.models import Notification
from notifications.services import notify
from notifications.types import Recipient
from portal.signals import staff_groups_sync

DEMO_PASSWORD = "Guichet-demo-2026"  # noqa: S105 — published demo credential
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 — published demo credential
DEMO_ACTIVATION_CODE = "DEMO-LINK-2026"
# The payroll bureau's API key (it declares for the bakery, which mandated the bureau).
DEMO_API_KEY = "gch_0000000de0b0.Guichet-demo-payroll-software-key-2026"  # a published demo credential
DOMAIN = "demo.guichet.example"

PERSONS = [
    # key, first, last, birth, serial, street, postal code, city, country, language
    ("employee", "Marie", "Dubois", datetime.date(1985, 7, 30), 33, "Rue Haute 12", "1000", "Bruxelles", "BE", "fr"),
    ("pensioner", "Jean", "Peeters", datetime.date(1954, 3, 12), 17, "Calle Mayor 5", "03001", "Alicante", "ES", "fr"),
    (
        "relative",
        "Sophie",
        "Peeters",
        datetime.date(1979, 11, 2),
        122,
        "Avenue Louise 200",
        "1050",
        "Ixelles",
        "BE",
        "en",
    ),
    ("newcomer", "Luc", "Janssens", datetime.date(1992, 1, 15), 57, "Kerkstraat 3", "2000", "Antwerpen", "BE", "fr"),
    # The pensioner's wife (no account): married long ago, for the survivor's pension.
    ("spouse", "Maria", "Peeters", datetime.date(1956, 6, 5), 18, "Calle Mayor 5", "03001", "Alicante", "ES", "fr"),
]
PENSIONER_WEDDING = datetime.date(1978, 9, 16)
# Marie's baby is born this many days before the day of seeding, for the birth grant.
BABY_AGE_DAYS = 21
BABY_SERIAL = 201

ENTERPRISES = [
    ("bakery", 1101, "Boulangerie Dupont SRL", "Place du Marché 4", "4000", "Liège"),
    ("garage", 2202, "Atelier Mécanique Namur SA", "Chaussée de Louvain 88", "5000", "Namur"),
    ("bureau", 3303, "Secrétariat Social Horizon ASBL", "Boulevard du Roi Albert II 30", "1000", "Bruxelles"),
    # Jean's employer for his whole career (he retired in 2019).
    ("foundry", 4404, "Fonderie de la Sambre SA", "Rue de la Providence 1", "6000", "Charleroi"),
    # Where the claimants of the case workers' queues worked (2012 to 2025).
    ("joinery", 5505, "Menuiserie Collard SPRL", "Rue des Tanneurs 9", "7000", "Mons"),
]
# The past careers, declared and paid month by month (devtools/history.py): Jean's until his
# pension age; Marie's at the garage before the bakery (her birth grant's insured months).
CAREERS = [
    ("pensioner", "foundry", Period(1990, 1), Period(2019, 3)),
    ("employee", "garage", Period(2019, 1), Period(2024, 12)),
]

ACCOUNTS: list[dict[str, Any]] = [
    {"email": "marie", "first": "Marie", "last": "Dubois", "person": "employee", "what": "citizen, employee"},
    {"email": "jean", "first": "Jean", "last": "Peeters", "person": "pensioner", "what": "pensioner living abroad"},
    {
        "email": "sophie",
        "first": "Sophie",
        "last": "Peeters",
        "person": "relative",
        "what": "relative of the pensioner",
    },
    {
        "email": "luc",
        "first": "Luc",
        "last": "Janssens",
        "person": None,
        "what": f"citizen, not yet linked: activation code {DEMO_ACTIVATION_CODE}",
    },
    {
        "email": "paul",
        "first": "Paul",
        "last": "Dupont",
        "roles": [("bakery", EnterpriseRole.ADMINISTRATOR)],
        "mfa": True,
        "what": "employer administrator (bakery)",
    },
    {
        "email": "claire",
        "first": "Claire",
        "last": "Martin",
        "roles": [("bakery", EnterpriseRole.DECLARANT)],
        "what": "employer declarant (bakery)",
    },
    {
        "email": "anne",
        "first": "Anne",
        "last": "Lambert",
        "roles": [("garage", EnterpriseRole.ADMINISTRATOR)],
        "mfa": True,
        "what": "employer administrator (garage)",
    },
    {
        "email": "bureau",
        "first": "Hélène",
        "last": "Lejeune",
        "roles": [("bureau", EnterpriseRole.ADMINISTRATOR)],
        "mfa": True,
        "what": "payroll bureau administrator (files for the bakery)",
    },
    {
        "email": "caseworker",
        "first": "Camille",
        "last": "Leroy",
        "staff": "Case worker",
        "mfa": True,
        "what": "staff: case worker",
    },
    {
        "email": "caseworker2",
        "first": "Théo",
        "last": "Dumont",
        "staff": "Case worker",
        "mfa": True,
        "what": "staff: case worker (the second pair of eyes)",
    },
    {
        "email": "caseworker3",
        "first": "Lina",
        "last": "Benali",
        "staff": "Case worker",
        "mfa": True,
        "what": "staff: case worker (appeals)",
    },
    {
        "email": "caseworker4",
        "first": "Oscar",
        "last": "Jacobs",
        "staff": "Case worker",
        "mfa": True,
        "what": "staff: case worker (appeals, the second pair of eyes)",
    },
    {
        "email": "supervisor",
        "first": "Hugo",
        "last": "Simon",
        "staff": "Supervisor",
        "mfa": True,
        "what": "staff: supervisor",
    },
    {
        "email": "finance",
        "first": "Nora",
        "last": "Wouters",
        "staff": "Finance",
        "mfa": True,
        "what": "staff: finance (checks a payment run)",
    },
    {
        "email": "finance2",
        "first": "Paul",
        "last": "Lambert",
        "staff": "Finance",
        "mfa": True,
        "what": "staff: finance (approves a run another officer checked)",
    },
    {
        "email": "registry",
        "first": "Yann",
        "last": "Claes",
        "staff": "Registry clerk",
        "mfa": True,
        "what": "staff: registry clerk",
    },
    {
        "email": "security",
        "first": "Inès",
        "last": "Mertens",
        "staff": "Security officer",
        "mfa": True,
        "what": "staff: security officer",
    },
    {"email": "admin", "first": "Ada", "last": "Admin", "superuser": True, "mfa": True, "what": "staff: superuser"},
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo data and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # The demo accounts have published passwords and second factors.
            raise CommandError("seed_demo only runs with DEBUG=true: it creates accounts with published passwords.")
        now = timezone.now()
        profile = country_profile()
        with transaction.atomic():
            staff_groups_sync()
            persons = {}
            for key, first, last, birth, serial, street, postal, city, country, language in PERSONS:
                persons[key], _created = Person.objects.update_or_create(
                    national_number=profile.synthetic_person_number(birth, serial),
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "birth_date": birth,
                        "street": street,
                        "postal_code": postal,
                        "city": city,
                        "country": country,
                        "preferred_language": language,
                    },
                )
            enterprises = {}
            for key, serial, name, street, postal, city in ENTERPRISES:
                enterprises[key], _created = Enterprise.objects.update_or_create(
                    enterprise_number=profile.synthetic_enterprise_number(serial),
                    defaults={"name": name, "street": street, "postal_code": postal, "city": city},
                )
            users = {}
            for spec in ACCOUNTS:
                users[spec["email"]] = self._account(spec, persons, enterprises, now)
            self._activation_code(persons["newcomer"], users["registry"], now)
            self._welcome(users, now)
            self._mandates(persons, enterprises, users, now)
            demo_rates_seed()
            self._employment(persons, enterprises, users, now)
            self._api_key(enterprises["bureau"], users["bureau"], now)
            self._family(persons, now)
            self._careers(persons, enterprises, users, now)
            self._crisis_scheme(users, now)
        # Claims file receipts and letters (PDFs) through the benefits services, each in its
        # own transaction as a person would.
        demo_claims_seed(persons=persons, enterprises=enterprises, users=users, now=now)
        # Then the monthly payment runs since the grants, paid through the bank's files.
        demo_payments_seed(users=users, now=now)
        # The civil registry reports the baby's birth: the grants are proposed to Marie.
        baby = FamilyLink.objects.filter(kind=FamilyLinkKind.PARENT_CHILD, person=persons["employee"]).first()
        if baby is not None:
            demo_attribution_seed(mother=persons["employee"], baby=baby.relative, now=now)
        self._print(persons)

    def _account(
        self,
        spec: dict[str, Any],
        persons: dict[str, Person],
        enterprises: dict[str, Enterprise],
        now: datetime.datetime,
    ) -> User:
        email = f"{spec['email']}@{DOMAIN}"
        user = User.objects.filter(email=email).first() or User(email=email)
        user.first_name, user.last_name = spec["first"], spec["last"]
        user.is_staff = bool(spec.get("staff") or spec.get("superuser"))
        user.is_superuser = bool(spec.get("superuser"))
        user.person = persons[spec["person"]] if spec.get("person") else None
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if spec.get("staff"):
            user.groups.set([Group.objects.get(name=spec["staff"])])
        for enterprise_key, role in spec.get("roles", []):
            Representation.objects.get_or_create(
                user=user,
                enterprise=enterprises[enterprise_key],
                revoked_at=None,
                defaults={"role": role, "granted_at": now},
            )
        if spec.get("mfa") and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
            RecoveryCodes.activate(user)
        return user

    def _activation_code(self, person: Person, issuer: User, now: datetime.datetime) -> None:
        if User.objects.filter(person=person).exists():
            return
        normalized = DEMO_ACTIVATION_CODE.replace("-", "").upper()
        digest = hmac.new(settings.SECRET_KEY.encode(), normalized.encode(), hashlib.sha256).hexdigest()
        ActivationCode.objects.update_or_create(
            digest=digest,
            defaults={
                "person": person,
                "created_at": now,
                "created_by": issuer,
                "expires_at": now + datetime.timedelta(days=365),
                "used_at": None,
                "voided_at": None,
                "failed_attempts": 0,
            },
        )

    def _mandates(
        self,
        persons: dict[str, Person],
        enterprises: dict[str, Enterprise],
        users: dict[str, User],
        now: datetime.datetime,
    ) -> None:
        """The pensioner abroad has mandated his daughter; the bakery has mandated a bureau."""
        today = now.date()
        if not Mandate.objects.filter(principal=persons["pensioner"], proxy=persons["relative"]).exists():
            Mandate.objects.create(
                principal=persons["pensioner"],
                proxy=persons["relative"],
                status=MandateStatus.ACTIVE,
                scopes=[Scope.VIEW_FILE, Scope.MANAGE_CLAIMS, Scope.MANAGE_PAYMENT_DETAILS],
                starts_on=today,
                # Two years on; from 29 February, the 28th (as mandates/forms.py proposes).
                ends_on=(
                    today.replace(year=today.year + 2)
                    if not (today.month == 2 and today.day == 29)
                    else today.replace(year=today.year + 2, day=28)
                ),
                created_at=now,
                created_by=users["jean"],
                accepted_at=now,
            )
        if not EnterpriseMandate.objects.filter(principal=enterprises["bakery"], bureau=enterprises["bureau"]).exists():
            EnterpriseMandate.objects.create(
                principal=enterprises["bakery"],
                bureau=enterprises["bureau"],
                scopes=["declare", "pay"],
                starts_on=today,
                created_at=now,
                created_by=users["paul"],
            )

    def _employment(
        self,
        persons: dict[str, Person],
        enterprises: dict[str, Enterprise],
        users: dict[str, User],
        now: datetime.datetime,
    ) -> None:
        """Marie works at the bakery since January 2025 (a past hire, recorded as history)."""
        if Employment.objects.filter(person=persons["employee"], enterprise=enterprises["bakery"]).exists():
            return
        employment = Employment.objects.create(
            enterprise=enterprises["bakery"],
            person=persons["employee"],
            worker_category="employee",
            start_date=datetime.date(2025, 1, 1),
            declared_at=datetime.datetime(2024, 12, 20, tzinfo=datetime.UTC),
        )
        EmploymentEvent.objects.create(
            employment=employment,
            kind="hire",
            at=employment.declared_at,
            by_user=users["claire"],
            details={"worker_category": "employee", "start_date": "2025-01-01"},
        )
        # She reported a month the bakery has not declared: a case in the back office's queue.
        month = Period.of(now.date()).previous().previous()
        DiscrepancyReport.objects.get_or_create(
            person=persons["employee"],
            enterprise=enterprises["bakery"],
            period=str(month),
            defaults={
                "message": "J’ai travaillé tout le mois à la boulangerie, mais il n’est pas déclaré.",
                "reported_by": users["marie"],
                "reported_at": now,
                "updated_at": now,
            },
        )

    def _api_key(self, bureau: Enterprise, administrator: User, now: datetime.datetime) -> None:
        prefix = DEMO_API_KEY.split(".", 1)[0]
        ApiKey.objects.update_or_create(
            prefix=prefix,
            defaults={
                "enterprise": bureau,
                "name": "Demo payroll software",
                "digest": hashlib.sha256(DEMO_API_KEY.encode()).hexdigest(),
                "scopes": ["declare", "read"],
                "created_at": now,
                "created_by": administrator,
                "revoked_at": None,
            },
        )

    def _welcome(self, users: dict[str, User], now: datetime.datetime) -> None:
        """A first message in every demo inbox (once), so that the inbox is not empty."""
        if Notification.objects.filter(recipient__in=users.values(), event_type="service_notice").exists():
            return
        notify(
            recipients=[Recipient(user.pk) for user in users.values()],
            event="service_notice",
            context={
                "title_fr": "Bienvenue sur Guichet",
                "title_en": "Welcome to Guichet",
                "body_fr": "Ceci est un portail de démonstration. Toutes les données y sont fictives.",
                "body_en": "This is a demonstration portal. All its data is fictitious.",
            },
            now=now,
            link="/",
        )

    def _family(self, persons: dict[str, Person], now: datetime.datetime) -> None:
        """The pensioner is married (long ago); Marie had a baby a few weeks ago. The baby is
        found through its link and kept a few weeks old whenever the demo is seeded again."""
        FamilyLink.objects.get_or_create(
            kind=FamilyLinkKind.MARRIAGE,
            person=persons["pensioner"],
            relative=persons["spouse"],
            defaults={"started_on": PENSIONER_WEDDING},
        )
        mother = persons["employee"]
        birth = now.date() - datetime.timedelta(days=BABY_AGE_DAYS)
        number = country_profile().synthetic_person_number(birth, BABY_SERIAL)
        link = (
            FamilyLink.objects.filter(kind=FamilyLinkKind.PARENT_CHILD, person=mother)
            .select_related("relative")
            .first()
        )
        if link is None:
            baby = Person.objects.create(
                national_number=number,
                first_name="Léa",
                last_name=mother.last_name,
                birth_date=birth,
                street=mother.street,
                postal_code=mother.postal_code,
                city=mother.city,
                country=mother.country,
                preferred_language=mother.preferred_language,
            )
            FamilyLink.objects.create(kind=FamilyLinkKind.PARENT_CHILD, person=mother, relative=baby, started_on=birth)
        elif link.relative.birth_date != birth:
            Person.objects.filter(pk=link.relative_id).update(national_number=number, birth_date=birth)
            FamilyLink.objects.filter(pk=link.pk).update(started_on=birth)

    def _careers(
        self,
        persons: dict[str, Person],
        enterprises: dict[str, Enterprise],
        users: dict[str, User],
        now: datetime.datetime,
    ) -> None:
        """Each past career once: declared and paid every month (the record, the simulator and
        "am I entitled?" read them)."""
        for person_key, enterprise_key, first, last in CAREERS:
            person, enterprise = persons[person_key], enterprises[enterprise_key]
            if Employment.objects.filter(person=person, enterprise=enterprise).exists():
                continue
            paid_history(enterprise, [person.pk], first.through(last), users["admin"], now, unpaid=0)

    def _crisis_scheme(self, users: dict[str, User], now: datetime.datetime) -> None:
        """A benefit the supervisor composed in the back office for this winter: for those who
        lost their job, 40 % of their last three months' average wage."""
        first = Period.of(now.date()).first_day
        ComposedScheme.objects.get_or_create(
            slug="winter-support",
            defaults={
                "title_fr": "Aide d’hiver aux personnes ayant perdu leur emploi",
                "title_en": "Winter support for people who lost their job",
                "summary_fr": "Une aide mensuelle cet hiver, pour qui a perdu son emploi depuis trois mois au plus.",
                "summary_en": "A monthly support this winter, for those who lost their job in the last three months.",
                "documents_fr": "la lettre de fin de contrat de votre employeur",
                "documents_en": "your employer's letter ending the contract",
                "legal_basis": "Arrêté de crise du conseil d’administration, art. 1",
                "valid_from": first,
                "valid_until": datetime.date(first.year + 1, 3, 31),
                "periodicity": "monthly",
                "decision_days": 10,
                "conditions": [
                    {"kind": "age_range", "minimum": 18, "maximum": 64},
                    {"kind": "contributed_months", "months": 6, "window": 12},
                    {"kind": "employment_ended", "within_months": 3},
                    {"kind": "residence"},
                ],
                "amount": {
                    "kind": "wage_based",
                    "rate": "0.40",
                    "months": 3,
                    "minimum": "300.00",
                    "maximum": "1200.00",
                },
                "published": True,
                "composed_by": users["supervisor"],
                "created_at": now,
            },
        )

    def _print(self, persons: dict[str, Person]) -> None:
        profile = country_profile()
        out = self.stdout.write
        out("")
        out("Demo logins — password for every account: " + DEMO_PASSWORD)
        out(f"Second factor (staff and employer administrators): TOTP secret {DEMO_TOTP_SECRET}")
        out("  (add it to an authenticator app, or run: manage.py demo_totp)")
        out("")
        for spec in ACCOUNTS:
            out(f"  {spec['email'] + '@' + DOMAIN:<36} {spec['what']}")
        newcomer = persons["newcomer"]
        out("")
        out(
            f"To link luc@{DOMAIN}: national number {profile.person_number.format(newcomer.national_number)}, "
            f"activation code {DEMO_ACTIVATION_CODE}"
        )
        out("")
        out(f"API key of the payroll bureau (declares for the bakery): {DEMO_API_KEY}")
        out(f"  try: curl -H 'Authorization: Bearer {DEMO_API_KEY}' {settings.SITE_URL}/api/v1/employers/")
        out(f"  documentation: {settings.SITE_URL}/api/")
        out("")
