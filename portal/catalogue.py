"""The one-stop shop's catalogue: every service, grouped by life situation and by persona.

A service either links to a page that works today, or says plainly that it is not yet online
and how to get it at a counter or by phone. Whether it is online comes from the routes: a service
names its page's URL name, and is online when that name resolves in the URLconf — a page that
opens switches its card on, a page that goes switches it off, with no flag to forget.

A service of an enterprise names the enterprise's page (``enterprise_url_name``, taking an
``enterprise_id``); its card leads to ``portal:enterprise_service``, which goes to that page of the
person's enterprise, or lets them choose when they act for several.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from identity.types import EnterpriseRole

CITIZEN = "citizen"
EMPLOYER = "employer"
PENSIONER = "pensioner"
THIRD_PARTY = "third-party"

PERSONAS: dict[str, Promise] = {
    CITIZEN: _("Citizen or employee"),
    EMPLOYER: _("Employer"),
    PENSIONER: _("Pensioner"),
    THIRD_PARTY: _("Relative, trusted person or professional"),
}


@dataclass(frozen=True)
class Service:
    key: str
    title: Promise
    description: Promise
    personas: tuple[str, ...]
    url_name: str | None = None
    enterprise_url_name: str | None = None
    # The page's arguments (a scheme's address for a benefit's claim).
    url_args: tuple[str, ...] = ()
    # The roles in the enterprise that reach its page (the dashboard shows the same links).
    enterprise_roles: tuple[str, ...] = (EnterpriseRole.ADMINISTRATOR, EnterpriseRole.DECLARANT)

    @property
    def url(self) -> str | None:
        try:
            if self.enterprise_url_name is not None:
                self.enterprise_url(enterprise_id=1)  # the page exists
                return reverse("portal:enterprise_service", kwargs={"service": self.key})
            if self.url_name is None:
                return None
            return reverse(self.url_name, args=self.url_args)
        except NoReverseMatch:
            return None

    def enterprise_url(self, *, enterprise_id: int) -> str:
        assert self.enterprise_url_name is not None
        return reverse(self.enterprise_url_name, kwargs={"enterprise_id": enterprise_id})

    @property
    def is_online(self) -> bool:
        return self.url is not None


@dataclass(frozen=True)
class LifeSituation:
    key: str
    title: Promise
    services: tuple[Service, ...]


CATALOGUE: tuple[LifeSituation, ...] = (
    LifeSituation(
        "account",
        _("My account and my data"),
        (
            Service(
                "sign-up",
                _("Create my account"),
                _("An account with your e-mail address, protected by a second factor if you wish."),
                (CITIZEN, EMPLOYER, PENSIONER, THIRD_PARTY),
                "account_signup",
            ),
            Service(
                "link-file",
                _("Link my account to my file"),
                _("Enter the activation code we sent you by post to see your own file."),
                (CITIZEN, PENSIONER),
                "identity:link_person",
            ),
            Service(
                "access-log",
                _("See who accessed my data"),
                _("Every consultation of your data by our staff, with its reason and date."),
                (CITIZEN, PENSIONER),
                "portal:access_log",
            ),
            Service(
                "bank-account",
                _("Give or change my bank account"),
                _("The account where we pay your benefits; a change is always confirmed to you."),
                (CITIZEN, PENSIONER),
                "identity:bank_account",
            ),
            Service(
                "inbox",
                _("Read my messages"),
                _("Everything we tell you, in one inbox; choose whether we also e-mail or text you."),
                (CITIZEN, EMPLOYER, PENSIONER, THIRD_PARTY),
                "notifications:inbox",
            ),
            Service(
                "security",
                _("Secure my account"),
                _("Two-factor authentication, recovery codes and your active sessions."),
                (CITIZEN, EMPLOYER, PENSIONER, THIRD_PARTY),
                "mfa_index",
            ),
        ),
    ),
    LifeSituation(
        "work",
        _("I work"),
        (
            Service(
                "contribution-record",
                _("Check my contribution record"),
                _("Month by month, what each employer declared and whether they paid."),
                (CITIZEN,),
                "contributions:record",
            ),
            Service(
                "contribution-statement",
                _("Download my contribution statement"),
                _("A verifiable statement of your contributions, for a bank or an administration."),
                (CITIZEN,),
                "contributions:statement",
            ),
            Service(
                "benefits",
                _("Which benefits am I entitled to?"),
                _("Each benefit's conditions and amounts in force, and whether you are entitled, from your own file."),
                (CITIZEN, PENSIONER, THIRD_PARTY),
                "benefits:schemes",
            ),
            Service(
                "benefit-claims",
                _("Follow my benefit claims"),
                _(
                    "Where each claim stands, what the case worker asks, the decisions and their letters; appeal online."
                ),
                (CITIZEN, PENSIONER, THIRD_PARTY),
                "benefits:claims",
            ),
        ),
    ),
    LifeSituation(
        "family",
        _("A child is born, I get married"),
        (
            Service(
                "birth-grant",
                _("Birth grant"),
                _("A lump sum at the birth or adoption of a child."),
                (CITIZEN,),
                "benefits:scheme",
                url_args=("birth-grant",),
            ),
            Service(
                "family-allowance",
                _("Family allowance"),
                _("A monthly allowance for each child you raise."),
                (CITIZEN,),
                "benefits:scheme",
                url_args=("family-allowance",),
            ),
            Service(
                "marriage-grant",
                _("Marriage grant"),
                _("A lump sum when you marry."),
                (CITIZEN,),
                "benefits:scheme",
                url_args=("marriage-grant",),
            ),
        ),
    ),
    LifeSituation(
        "health",
        _("I can no longer work"),
        (
            Service(
                "disability-pension",
                _("Disability pension"),
                _("An income when illness or an accident stops you from working."),
                (CITIZEN,),
                "benefits:scheme",
                url_args=("disability-pension",),
            ),
        ),
    ),
    LifeSituation(
        "retirement",
        _("I retire"),
        (
            Service(
                "pension-simulator",
                _("Estimate my pension"),
                _("From your contribution record and your plans: the pension month by month of retirement, explained."),
                (CITIZEN, PENSIONER, THIRD_PARTY),
                "benefits:simulator",
            ),
            Service(
                "old-age-pension",
                _("Claim my pension"),
                _("File your old-age pension claim and follow it."),
                (CITIZEN, PENSIONER),
                "benefits:scheme",
                url_args=("old-age-pension",),
            ),
            Service(
                "benefit-payments",
                _("My benefit payments"),
                _("The next payment and the past ones, each amount explained: indexation, arrears, recoveries."),
                (CITIZEN, PENSIONER, THIRD_PARTY),
                "benefits:payments",
            ),
            Service(
                "life-certificate",
                _("Confirm my life certificate from abroad"),
                _("Pensioners living abroad confirm once a year that their pension is still due."),
                (PENSIONER, THIRD_PARTY),
                "benefits:life_certificate",
            ),
        ),
    ),
    LifeSituation(
        "bereavement",
        _("A relative has died"),
        (
            Service(
                "survivor-pension",
                _("Survivor's pension"),
                _("A pension for the spouse or partner of a deceased insured person."),
                (CITIZEN, PENSIONER),
                "benefits:scheme",
                url_args=("survivor-pension",),
            ),
            Service(
                "funeral-grant",
                _("Funeral grant"),
                _("Help with the cost of a funeral."),
                (CITIZEN, PENSIONER),
                "benefits:scheme",
                url_args=("funeral-grant",),
            ),
        ),
    ),
    LifeSituation(
        "help",
        _("I help someone"),
        (
            Service(
                "mandate",
                _("Act for a relative"),
                _("With their digital mandate, manage the file of a pensioner or a relative."),
                (THIRD_PARTY, PENSIONER),
                "mandates:list",
            ),
        ),
    ),
    LifeSituation(
        "employer",
        _("I employ staff"),
        (
            Service(
                "representatives",
                _("Manage who acts for my enterprise"),
                _("Give your staff or your accountant a role: administrator, declarant or viewer."),
                (EMPLOYER,),
                enterprise_url_name="identity:representatives",
                enterprise_roles=tuple(EnterpriseRole.values),
            ),
            Service(
                "rates",
                _("Contribution rates"),
                _("The public table of rates per branch and worker category, for any month."),
                (EMPLOYER, THIRD_PARTY, CITIZEN),
                "contributions:rates",
            ),
            Service(
                "hire",
                _("Declare a hire or a departure"),
                _("Before the first day of work, and by the next working day after the last."),
                (EMPLOYER,),
                enterprise_url_name="contributions:employees",
            ),
            Service(
                "monthly-declaration",
                _("File the monthly declaration"),
                _("Wages and days of each employee, by form, file or payroll software."),
                (EMPLOYER, THIRD_PARTY),
                enterprise_url_name="contributions:declarations",
            ),
            Service(
                "api",
                _("Connect payroll software"),
                _("The API for declarations and hires: API keys, documentation and error codes."),
                (EMPLOYER, THIRD_PARTY),
                "portal:api_docs",
            ),
            Service(
                "payment",
                _("Pay contributions"),
                _("Your account balance and online payment."),
                (EMPLOYER, THIRD_PARTY),
                enterprise_url_name="contributions:account",
            ),
            Service(
                "compliance-certificate",
                _("Get a compliance certificate"),
                _("A verifiable certificate that your contributions are paid."),
                (EMPLOYER,),
                enterprise_url_name="contributions:certificate",
            ),
            Service(
                "verify-document",
                _("Verify a document issued by Guichet"),
                _("Check with its code that a certificate or statement you were given is authentic and valid."),
                (CITIZEN, EMPLOYER, PENSIONER, THIRD_PARTY),
                "portal:verify",
            ),
        ),
    ),
)


def service_get(key: str) -> Service | None:
    return next((service for situation in CATALOGUE for service in situation.services if service.key == key), None)


def catalogue_for(persona: str | None) -> list[tuple[LifeSituation, list[Service]]]:
    """The life situations and their services, limited to a persona when one is chosen."""
    result = []
    for situation in CATALOGUE:
        services = [s for s in situation.services if persona is None or persona in s.personas]
        if services:
            result.append((situation, services))
    return result
