"""A walk through every page of every model of the back office, as each staff role.

Every registered admin is either a ``PersonalDataAdmin`` (it records whose data it showed) or a
``NoPersonalDataAdmin`` that says why it shows nobody's; a model that points to a person or an
account cannot be the latter. Each model has a sample below, with the persons its pages show —
a model registered without one fails here, so a new model cannot be forgotten. Each list,
search, change, history and delete page that answers records exactly the persons it showed,
with the purpose, and a page that is refused records nothing.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models
from django.urls import reverse
from django.utils import timezone

from benefits.models import (
    AttributionRule,
    BankAnswer,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ComposedScheme,
    Decision,
    Entitlement,
    LifeCertificate,
    LifeCertificateRequest,
    LifeCheck,
    LifeEvent,
    PaymentRun,
    Proposal,
    RecallFile,
    Recovery,
    RegistryPartner,
)
from contributions.models import (
    BankStatementImport,
    BankTransaction,
    ContributionRate,
    ContributionRateEvent,
    DiscrepancyReport,
    LateInterestRate,
    LateInterestRateEvent,
    Payment,
    RefundRequest,
    StatementRequest,
)
from core.audit import access_record
from core.backoffice import NoPersonalDataAdmin, PersonalDataAdmin
from core.models import AccessRecord, VerifiableDocument
from core.types import AccessPurpose, DocumentKind, DocumentSubject
from devtools.rates import demo_rates_seed
from identity.models import ActivationCode, Enterprise, FamilyLink, Person, Representation, User
from mandates.models import AccreditedProfessional, EnterpriseMandate, Mandate
from notifications.models import Delivery, Notification
from notifications.services import notify
from notifications.types import Recipient
from tests.helpers import sign_in, staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db

ROLES = ["Case worker", "Supervisor", "Finance", "Registry clerk", "Security officer"]
PERSONAL = (Person, User)  # what a model pointing to makes it hold persons' data


def _now() -> datetime.datetime:
    return timezone.now()


class World:
    """One sample of each model, and the persons each sample's pages show."""

    def __init__(self) -> None:
        now = _now()
        self.staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
        self.anna = PersonFactory(last_name="Annaert")
        self.anna_user = UserFactory(person=self.anna, email="anna@example.org")
        self.ben = PersonFactory(last_name="Bertrand")
        self.ben_user = UserFactory(person=self.ben, email="ben@example.org")
        self.enterprise = EnterpriseFactory(name="Boulangerie Walk")
        self.bureau = EnterpriseFactory(name="Bureau Walk")
        demo_rates_seed()
        self.samples: dict[type[models.Model], tuple[models.Model, set[int]]] = {}
        for model, build in self._builders().items():
            self.samples[model] = build(now)

    def _builders(self) -> dict[type[models.Model], Callable[[datetime.datetime], tuple[models.Model, set[int]]]]:
        anna, ben = self.anna, self.ben
        return {
            Person: lambda now: (anna, {anna.pk}),
            User: lambda now: (self.anna_user, {anna.pk}),
            Enterprise: lambda now: (self.enterprise, set()),
            Group: lambda now: (Group.objects.get(name="Case worker"), set()),
            EmailAddress: lambda now: (EmailAddress.objects.get(user=self.anna_user), {anna.pk}),
            Authenticator: lambda now: (with_totp(self.ben_user).authenticator_set.get(), {ben.pk}),
            UserSession: lambda now: (
                UserSession.objects.create(
                    user=self.anna_user, ip="203.0.113.7", session_key="walk-session", user_agent="Firefox"
                ),
                {anna.pk},
            ),
            AccessAttempt: lambda now: (
                AccessAttempt.objects.create(
                    username="ANNA@example.org",
                    ip_address="203.0.113.8",
                    user_agent="x",
                    http_accept="*/*",
                    path_info="/accounts/login/",
                    get_data="",
                    post_data="",
                    failures_since_start=2,
                    attempt_time=now,
                ),
                {anna.pk},
            ),
            AccessLog: lambda now: (
                AccessLog.objects.create(
                    username="ben@example.org", user_agent="x", http_accept="*/*", path_info="/", attempt_time=now
                ),
                {ben.pk},
            ),
            AccessFailureLog: lambda now: (
                AccessFailureLog.objects.create(
                    username="anna@example.org", user_agent="x", http_accept="*/*", path_info="/", attempt_time=now
                ),
                {anna.pk},
            ),
            Representation: lambda now: (representation(self.ben_user, self.enterprise), {ben.pk}),
            ActivationCode: lambda now: (
                ActivationCode.objects.create(
                    person=anna, digest="0" * 64, created_at=now, created_by=self.staff, expires_at=now
                ),
                {anna.pk},
            ),
            FamilyLink: lambda now: (
                FamilyLink.objects.create(
                    kind="marriage", person=anna, relative=ben, started_on=now.date() - datetime.timedelta(days=400)
                ),
                {anna.pk, ben.pk},
            ),
            AccreditedProfessional: lambda now: (
                AccreditedProfessional.objects.create(
                    person=ben,
                    kind="social_worker",
                    accreditation_number="SW-0001",
                    valid_from=now.date(),
                    valid_until=now.date() + datetime.timedelta(days=365),
                ),
                {ben.pk},
            ),
            Mandate: lambda now: (
                Mandate.objects.create(
                    principal=anna,
                    proxy=ben,
                    scopes=["view_file"],
                    starts_on=now.date(),
                    ends_on=now.date() + datetime.timedelta(days=30),
                    status="active",
                    created_at=now,
                    created_by=self.anna_user,
                ),
                {anna.pk, ben.pk},
            ),
            EnterpriseMandate: lambda now: (
                EnterpriseMandate.objects.create(
                    principal=self.enterprise,
                    bureau=self.bureau,
                    scopes=["declare"],
                    starts_on=now.date(),
                    created_at=now,
                    created_by=self.staff,
                ),
                set(),
            ),
            Notification: lambda now: (self._notification(now), {ben.pk}),
            Delivery: lambda now: (Delivery.objects.filter(notification__recipient=self.ben_user).first(), {ben.pk}),
            AccessRecord: lambda now: (self._access_record(now), {anna.pk}),
            VerifiableDocument: lambda now: (
                VerifiableDocument.objects.create(
                    kind=DocumentKind.CONTRIBUTION_STATEMENT,
                    code_digest=uuid.uuid4().hex * 2,
                    code_prefix="ABCD",
                    issued_at=now,
                    holder_name_masked="A*** A******",
                    subject_type=DocumentSubject.PERSON,
                    subject_id=anna.pk,
                ),
                {anna.pk},
            ),
            ContributionRate: lambda now: (ContributionRate.objects.first(), set()),
            ContributionRateEvent: lambda now: (self._rate_event(), set()),
            LateInterestRate: lambda now: (
                LateInterestRate.objects.create(valid_from=datetime.date(2099, 1, 1), yearly_rate=Decimal("0.08")),
                set(),
            ),
            LateInterestRateEvent: lambda now: (LateInterestRateEvent.objects.order_by("-pk").first(), set()),
            ComposedScheme: lambda now: (
                ComposedScheme.objects.create(
                    slug="walk-support",
                    title_fr="Aide de la promenade",
                    title_en="Walk support",
                    summary_fr="Une aide.",
                    summary_en="A support.",
                    legal_basis="Arrêté du 1er décembre 2026",
                    valid_from=datetime.date(2026, 12, 1),
                    periodicity="once",
                    conditions=[{"kind": "residence"}],
                    amount={"kind": "flat", "value": "150.00"},
                    composed_by=self.staff,
                    created_at=now,
                ),
                set(),
            ),
            Claim: lambda now: (self._claim(now), {self.claire.pk}),
            ClaimEvent: lambda now: (ClaimEvent.objects.get(claim__reference="BEN-2026-999001"), {self.claire.pk}),
            ClaimDocument: lambda now: (
                ClaimDocument.objects.get(claim__reference="BEN-2026-999001"),
                {self.claire.pk},
            ),
            Decision: lambda now: (Decision.objects.get(claim__reference="BEN-2026-999001"), {self.claire.pk}),
            Entitlement: lambda now: (Entitlement.objects.get(claim__reference="BEN-2026-999001"), {self.claire.pk}),
            RefundRequest: lambda now: (
                RefundRequest.objects.create(
                    enterprise=self.enterprise,
                    amount=Decimal("12.50"),
                    iban="BE71096123456769",
                    holder_name="Boulangerie Walk",
                    requested_by=self.ben_user,
                    requested_at=now,
                ),
                {ben.pk},
            ),
            BankStatementImport: lambda now: (self._bank_import(now), set()),
            BankTransaction: lambda now: (
                BankTransaction.objects.create(
                    statement_import=BankStatementImport.objects.get(),
                    account_iban="BE71096123456769",
                    entry_reference="E1",
                    index=1,
                    booking_date=now.date(),
                    amount=Decimal("10.00"),
                    currency="EUR",
                    status="unmatched",
                ),
                set(),
            ),
            Payment: lambda now: (
                Payment.objects.create(
                    enterprise=self.enterprise,
                    amount=Decimal("10.00"),
                    provider="sandbox",
                    intent=uuid.uuid4(),
                    created_by=self.ben_user,
                    created_at=now,
                ),
                {ben.pk},
            ),
            DiscrepancyReport: lambda now: (
                DiscrepancyReport.objects.create(
                    person=anna,
                    enterprise=self.enterprise,
                    period="2026-01",
                    message="wrong wage",
                    reported_by=self.ben_user,
                    reported_at=now,
                ),
                {anna.pk, ben.pk},
            ),
            StatementRequest: lambda now: (
                StatementRequest.objects.create(
                    person=anna,
                    requested_by=self.anna_user,
                    acting_mode="self",
                    intent=uuid.uuid4(),
                    year_from=2025,
                    year_to=2026,
                    language="fr",
                    requested_at=now,
                    queued_at=now,
                ),
                {anna.pk},
            ),
            PaymentRun: lambda now: (
                PaymentRun.objects.create(
                    period=datetime.date(2026, 10, 1),
                    pay_on=datetime.date(2026, 10, 28),
                    prepared_at=now,
                    prepared_by=self.staff,
                ),
                set(),
            ),
            BankAnswer: lambda now: (
                BankAnswer.objects.create(
                    message_id="WALK-ANSWER-1",
                    imported_at=now,
                    imported_by=self.staff,
                    paid=1,
                    rejected=0,
                    unknown=0,
                    content=b"<Document/>",
                ),
                set(),
            ),
            RegistryPartner: lambda now: (self._registry_partner(now), set()),
            LifeEvent: lambda now: (
                LifeEvent.objects.create(
                    partner=self._registry_partner(now),
                    partner_event_id="WALK-1",
                    kind="death",
                    occurred_on=datetime.date(2026, 10, 1),
                    data={"person": self.claire.national_number},
                    received_at=now,
                    state="applied",
                    person=self.claire,
                ),
                {self.claire.pk},
            ),
            AttributionRule: lambda now: (
                AttributionRule.objects.get_or_create(trigger="birth", scheme="birth_grant")[0],
                set(),
            ),
            Proposal: lambda now: (
                Proposal.objects.create(
                    person=self.claire,
                    scheme="birth_grant",
                    periodicity="once",
                    trigger="birth",
                    month=datetime.date(2026, 10, 1),
                    amount=Decimal("1200.00"),
                    computation={"conditions": []},
                    rules_fingerprint="walk",
                    openfisca_core="46",
                    data_version="walk",
                    status="to_verify",
                    created_at=now,
                    reference="PRO-2026-999001",
                ),
                {self.claire.pk},
            ),
            RecallFile: lambda now: (
                RecallFile.objects.create(
                    message_id="GUI-RCL-20261020-1",
                    recalls=0,
                    total=Decimal("0.00"),
                    content=b"<Document/>",
                    sha256="",
                    written_at=now,
                ),
                set(),
            ),
            Recovery: lambda now: (
                Recovery.objects.create(
                    person=self.claire,
                    entitlement=Entitlement.objects.get(claim__reference="BEN-2026-999001"),
                    reason="Paid twice",
                    amount=Decimal("100.00"),
                    outstanding=Decimal("100.00"),
                    created_at=now,
                ),
                {self.claire.pk},
            ),
            LifeCertificateRequest: lambda now: (self._life_request(now), {self.claire.pk}),
            LifeCertificate: lambda now: (
                LifeCertificate.objects.get(request__reference="CV-2026-999001"),
                {self.claire.pk},
            ),
            LifeCheck: lambda now: (LifeCheck.objects.get(request__reference="CV-2026-999001"), {self.claire.pk}),
        }

    def _life_request(self, now: datetime.datetime) -> LifeCertificateRequest:
        """Claire's life certificate request, with a certificate she sent and an identity check
        she started (rows: the walk shows pages)."""
        claire_user = User.objects.get(email="claire@example.org")
        request = LifeCertificateRequest.objects.create(
            person=self.claire,
            year=2026,
            reference="CV-2026-999001",
            status="received",
            asked_at=now,
            due_on=now.date() + datetime.timedelta(days=90),
            by_post=True,
            letter_due=True,
        )
        LifeCertificate.objects.create(
            request=request,
            filename="certificat.pdf",
            content_type="application/pdf",
            size=4,
            sha256="0" * 64,
            content=b"%PDF",
            uploaded_at=now,
            uploaded_by=claire_user,
        )
        LifeCheck.objects.create(
            request=request, provider="sandbox", provider_check_id="walk-1", started_at=now, started_by=claire_user
        )
        return request

    def _registry_partner(self, now: datetime.datetime) -> RegistryPartner:
        partner, _created = RegistryPartner.objects.get_or_create(
            name="Walk registry",
            defaults={
                "key_prefix": "walk0001",
                "key_digest": "0" * 64,
                "signing_secret": "s" * 64,
                "scopes": ["death"],
                "created_at": now,
            },
        )
        return partner

    def _claim(self, now: datetime.datetime) -> Claim:
        """A claim granted (by rows, not through the services: the walk shows pages, it does not
        decide), with an event, a document, its decision and the entitlement it opened. Its
        claimant has no family: the case page shows her alone."""
        self.claire = PersonFactory(last_name="Clairval")
        claire_user = UserFactory(person=self.claire, email="claire@example.org")
        claim = Claim.objects.create(
            person=self.claire,
            scheme="marriage_grant",
            month="2026-10",
            status="granted",
            reference="BEN-2026-999001",
            created_at=now,
            created_by=claire_user,
            updated_at=now,
            submitted_at=now,
            submitted_by=claire_user,
            assigned_to=self.staff,
            due_on=now.date() + datetime.timedelta(days=30),
            decided_at=now,
        )
        ClaimEvent.objects.create(claim=claim, kind="submitted", at=now, by=claire_user)
        ClaimDocument.objects.create(
            claim=claim,
            purpose="claim",
            filename="acte.pdf",
            content_type="application/pdf",
            size=4,
            sha256="0" * 64,
            content=b"%PDF",
            uploaded_at=now,
            uploaded_by=claire_user,
        )
        decision = Decision.objects.create(
            claim=claim,
            kind="first",
            state="final",
            outcome="granted",
            amount=Decimal("500.00"),
            periodicity="once",
            start_on=datetime.date(2026, 10, 1),
            end_on=datetime.date(2026, 10, 1),
            reason="Married in October.",
            computation={},
            rules_fingerprint="walk",
            openfisca_core="46.0.1",
            proposed_by=self.staff,
            proposed_at=now,
            approved_by=self.staff,
            approved_at=now,
        )
        Entitlement.objects.create(
            person=self.claire,
            claim=claim,
            decision=decision,
            scheme="marriage_grant",
            periodicity="once",
            amount=Decimal("500.00"),
            start_on=datetime.date(2026, 10, 1),
            end_on=datetime.date(2026, 10, 1),
            opened_at=now,
        )
        return claim

    def _notification(self, now: datetime.datetime) -> Notification:
        notify(
            recipients=[Recipient(self.ben_user.pk)],
            event="account_linked",  # a legal notice: by e-mail too, whatever the preferences
            context={},
            now=now,
        )
        return Notification.objects.get(recipient=self.ben_user)

    def _access_record(self, now: datetime.datetime) -> AccessRecord:
        clerk = UserFactory(is_staff=True)
        access_record(
            actor=staff_actor(clerk), subject_person_id=self.anna.pk, purpose=AccessPurpose.STAFF_REGISTRY_VIEW, now=now
        )
        return AccessRecord.objects.get(subject_person=self.anna)

    def _rate_event(self) -> Any:
        rate = ContributionRate.objects.order_by("pk").first()
        assert rate is not None
        ContributionRate.objects.filter(pk=rate.pk).update(monthly_ceiling=rate.monthly_ceiling)
        return ContributionRateEvent.objects.order_by("pk").first()

    def _bank_import(self, now: datetime.datetime) -> BankStatementImport:
        return BankStatementImport.objects.create(
            file_name="camt053.xml",
            sha256="f" * 64,
            statement_id="S1",
            account_iban="BE71096123456769",
            imported_by=self.staff,
            imported_at=now,
            credit_count=1,
            matched_count=0,
            unmatched_count=1,
            already_imported_count=0,
            skipped_count=0,
        )


@pytest.fixture
def world() -> World:
    return World()


def _registered() -> list[tuple[type[models.Model], admin.ModelAdmin]]:
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _points_to_a_person(model: type[models.Model]) -> bool:
    return model in PERSONAL or any(
        field.is_relation and field.concrete and field.related_model in PERSONAL and field.name not in _STAFF_FIELDS
        for field in model._meta.get_fields()
    )


# Accounts that only ever hold staff members (who did the work), not the persons served.
_STAFF_FIELDS = {
    "imported_by",
    "resolved_by",
    "issued_by",
    "closed_by",
    "granted_by",
    "revoked_by",
    "ended_by",
    "composed_by",
    "assigned_to",
    "proposed_by",
    "approved_by",
    "prepared_by",
    "submitted_by",
    "registered_by",
    "changed_by",
}


def test_every_admin_says_whether_it_shows_persons_data_and_has_a_sample(world):
    for model, model_admin in _registered():
        label = model._meta.label
        assert isinstance(model_admin, PersonalDataAdmin | NoPersonalDataAdmin), f"{label}: neither kind of admin"
        if isinstance(model_admin, NoPersonalDataAdmin):
            assert model_admin.why, f"{label}: says it shows nobody's data without saying why"
            assert model not in (Person, User)
            personal = [
                f.name for f in model._meta.get_fields() if f.is_relation and f.concrete and f.related_model is Person
            ]
            assert not personal, f"{label} points to a person ({personal}) but records no read"
        assert model in world.samples, f"{label}: no sample in this walk"
        sample, expected = world.samples[model]
        assert sample is not None, label
        if isinstance(model_admin, PersonalDataAdmin):
            assert set(model_admin.persons_shown([sample])) == expected, label
        else:
            assert expected == set(), label
        if _points_to_a_person(model) and isinstance(model_admin, NoPersonalDataAdmin):
            pytest.fail(f"{label} points to a person or an account and records no read")


def _search_term(model_admin: admin.ModelAdmin, sample: models.Model, request: Any) -> str | None:
    for path in model_admin.get_search_fields(request):
        value: Any = sample
        for name in path.lstrip("=^@").split("__"):
            value = getattr(value, name, None)
        if value not in (None, ""):
            return str(value)
    return None


def _pages(model: type[models.Model], model_admin: admin.ModelAdmin, sample: models.Model, request: Any):
    info = (model._meta.app_label, model._meta.model_name)
    yield "list", reverse("admin:{}_{}_changelist".format(*info)), AccessPurpose.STAFF_REGISTRY_SEARCH
    term = _search_term(model_admin, sample, request)
    if term is not None:
        yield (
            "search",
            reverse("admin:{}_{}_changelist".format(*info)) + "?q=" + term,
            AccessPurpose.STAFF_REGISTRY_SEARCH,
        )
    for page in ("change", "history", "delete"):
        yield page, reverse(f"admin:{info[0]}_{info[1]}_{page}", args=[sample.pk]), AccessPurpose.STAFF_REGISTRY_VIEW


def _walk(client, world: World, user: User) -> list[str]:
    """Visit every page; return what was checked (model, page, status)."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    walked = []
    # The records the samples made stay (one of them is a sample); each page's are read, then
    # removed, so that the next page starts afresh.
    baseline = AccessRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for model, model_admin in _registered():
        sample, expected = world.samples[model]
        for page, url, purpose in _pages(model, model_admin, sample, request):
            AccessRecord.objects.filter(pk__gt=baseline).delete()
            response = client.get(url)
            made = AccessRecord.objects.filter(pk__gt=baseline)
            recorded = set(made.filter(actor_user=user, purpose=purpose).values_list("subject_person_id", flat=True))
            others = made.exclude(actor_user=user, purpose=purpose).count()
            label = f"{model._meta.label} {page}"
            walked.append(f"{label} {response.status_code}")
            assert others == 0, f"{label}: recorded with another purpose or reader"
            if response.status_code != 200:
                assert recorded == set(), f"{label}: refused ({response.status_code}) yet recorded"
            elif isinstance(model_admin, NoPersonalDataAdmin):
                assert recorded == set(), label
            elif page in ("list", "search"):
                # The sample is among the rows shown (the walk's rows are few: one page).
                assert expected <= recorded, f"{label}: {expected} not all recorded in {recorded}"
            else:
                assert recorded == expected, f"{label}: recorded {recorded}, showed {expected}"
    return walked


def test_a_superuser_walking_every_page_of_every_model_records_exactly_whom_each_showed(client, world):
    sign_in(client, world.staff, mfa=True)
    walked = _walk(client, world, world.staff)
    assert sum(1 for line in walked if line.endswith(" 200")) >= 100, walked


@pytest.mark.parametrize("role", ROLES)
def test_each_staff_role_walking_every_page_records_only_what_it_was_shown(client, world, role):
    member = with_totp(UserFactory(is_staff=True))
    member.groups.set([Group.objects.get(name=role)])
    sign_in(client, member, mfa=True)
    walked = _walk(client, world, member)
    assert any(line.endswith(" 200") for line in walked)
    assert any(line.endswith(" 403") for line in walked)
