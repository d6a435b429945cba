"""The demo's benefit claims, filed and worked through the benefits services as people would:
Jean's old-age pension granted, and a claim in every state in the case workers' queues
(disability pensions of the joinery's former workers, whose onset the medical board gave)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from benefits import services
from benefits.models import Claim
from core.actor import ActingMode, Actor, LevelOfAssurance
from core.periods import Period
from devtools.history import paid_history
from identity.country_profiles import country_profile
from identity.models import BankAccount, Enterprise, Person, User

# A one-page PDF, as a scan of a certificate would be (built once, without WeasyPrint's cost).
CERTIFICATE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)
# Each claimant of the queues (first name, last name, birth year) and where their claim stands.
QUEUE = [
    ("Nadia", "Lemaire", 1971, "late"),
    ("Karim", "Haddad", 1974, "submitted"),
    ("Eva", "Maes", 1969, "in_review"),
    ("Tom", "Willems", 1976, "information_requested"),
    ("Sarah", "Dubois", 1972, "information_provided"),
    ("Pierre", "Renard", 1968, "proposed"),
    ("Lucie", "Gillet", 1975, "granted"),
    ("Hamid", "Benali", 1970, "refused"),
    ("Julie", "Lambert", 1973, "appealed"),
    ("Marc", "Delvaux", 1967, "appeal_proposed"),
    ("Anna", "Peeters", 1977, "appeal_decided"),
    ("Yves", "Martin", 1966, "withdrawn"),
]
QUEUE_SERIAL = 400


def career_and_onset(today: datetime.date) -> tuple[tuple[Period, Period], datetime.date]:
    """The joinery's workers stopped eleven months before the seeding, when their incapacity
    began, after fourteen years there (on 6 December 2026: 2012-01 to 2025-12, onset 1 January
    2026). Relative to the day, the demo's disability claims are decided the same on any date."""
    onset = Period.of(today).shifted(-11)
    return (onset.shifted(-168), onset.previous()), onset.first_day


def belgian_iban(serial: int) -> str:
    """A valid Belgian IBAN for a demo person (bank code 096, the account's check, then IBAN's)."""
    account = f"096{serial:07d}"
    check = int(account) % 97 or 97
    bban = f"{account}{check:02d}"
    digits = int(f"{bban}111400")  # "BE00" moved to the end, letters as numbers (B=11, E=14)
    return f"BE{98 - digits % 97:02d}{bban}"


def _citizen(user: User) -> Actor:
    return Actor(
        user_id=user.pk,
        level_of_assurance=LevelOfAssurance.SUBSTANTIAL,
        mode=ActingMode.SELF,
        person_id=user.person_id,
        subject_person_id=user.person_id,
    )


def _staff(user: User) -> Actor:
    return Actor(user_id=user.pk, level_of_assurance=LevelOfAssurance.SUBSTANTIAL, mode=ActingMode.STAFF, is_staff=True)


def _account(person: Person, user: User, now: datetime.datetime, serial: int) -> None:
    if not BankAccount.objects.filter(person=person, ended_at__isnull=True).exists():
        BankAccount.objects.create(
            person=person,
            iban=belgian_iban(serial),
            holder_name=f"{person.first_name} {person.last_name}",
            created_at=now,
            created_by=user,
        )


def claim_file(
    user: User,
    slug: str,
    month: str,
    now: datetime.datetime,
    *,
    subject_person_id: int = 0,
    document: tuple[str, bytes] | None = ("certificat.pdf", CERTIFICATE_PDF),
) -> int:
    """A claim filled in step by step and submitted by the person of ``user`` (the account on
    file; a document for the first one required, when given)."""
    actor, person_id = _citizen(user), user.person_id
    assert person_id is not None
    claim_id = services.claim_start(actor=actor, person_id=person_id, slug=slug, now=now)
    services.claim_about_save(
        actor=actor, claim_id=claim_id, subject_person_id=subject_person_id, month=month, remarks="", now=now
    )
    if document is not None:
        name, content = document
        services.claim_document_add(
            actor=actor,
            claim_id=claim_id,
            required_index=0,
            name=name,
            size=len(content),
            read=lambda: content,
            now=now,
        )
    services.claim_documents_done(actor=actor, claim_id=claim_id, now=now)
    services.claim_bank_save(actor=actor, claim_id=claim_id, use_account_on_file=True, iban="", holder_name="", now=now)
    services.claim_submit(actor=actor, claim_id=claim_id, declared_on_honour=True, now=now)
    return claim_id


def _onset(claim_id: int, worker: Actor, now: datetime.datetime, status: str = "in_review") -> None:
    """The medical board's onset date, recorded by the case worker (not in any register)."""
    services.claim_input_correct(
        actor=worker,
        claim_id=claim_id,
        seen_status=status,
        member=0,
        input_name="disability_onset_date",
        period="",
        value=career_and_onset(timezone.localdate())[1].isoformat(),
        reason="Medical board's decision: incapacity recognised.",
        now=now,
    )


def _take_to(state: str, claim_id: int, workers: list[Actor], now: datetime.datetime, claimant: Actor) -> None:
    """Case work as it happens: the first worker examines and proposes, the second approves
    (every refusal, every grant above the four-eyes amount), the third and fourth, who took no
    part in the decision, decide the appeal."""
    first, second, third, fourth = workers
    if state in ("late", "submitted", "withdrawn"):
        if state == "withdrawn":
            services.claim_withdraw(
                actor=claimant, claim_id=claim_id, seen_status="submitted", reason="I found work again.", now=now
            )
        return
    services.claim_review_start(actor=first, claim_id=claim_id, seen_status="submitted", now=now)
    if state == "in_review":
        return
    if state in ("information_requested", "information_provided"):
        services.claim_information_request(
            actor=first,
            claim_id=claim_id,
            seen_status="in_review",
            text="Send the medical board's decision on your incapacity, please.",
            due_on=now.date() + datetime.timedelta(days=14),
            now=now,
        )
        if state == "information_provided":
            services.claim_information_provide(
                actor=claimant,
                claim_id=claim_id,
                seen_status="information_requested",
                text="Here is the decision.",
                upload=("decision.pdf", len(CERTIFICATE_PDF), lambda: CERTIFICATE_PDF),
                now=now,
            )
        return
    if state == "refused":
        services.claim_decision_propose(
            actor=first,
            claim_id=claim_id,
            seen_status="in_review",
            outcome="refused",
            reason="The medical board did not recognise an incapacity.",
            now=now,
        )
        services.claim_proposal_approve(actor=second, claim_id=claim_id, seen_status="proposed", now=now)
        return
    _onset(claim_id, first, now)
    outcome = "refused" if state.startswith("appeal") else "granted"
    services.claim_decision_propose(
        actor=first,
        claim_id=claim_id,
        seen_status="in_review",
        outcome=outcome,
        reason="Incapacity recognised by the medical board; the insured months are met."
        if outcome == "granted"
        else "The reference wage could not be established.",
        now=now,
    )
    status = Claim.objects.get(pk=claim_id).status
    if state == "proposed":
        return
    if status == "proposed":
        services.claim_proposal_approve(actor=second, claim_id=claim_id, seen_status="proposed", now=now)
    if state == "granted":
        return
    status = Claim.objects.get(pk=claim_id).status
    services.claim_appeal(
        actor=claimant,
        claim_id=claim_id,
        seen_status=status,
        grounds="My payslips of the last year show my wage: please look again.",
        upload=("payslips.pdf", len(CERTIFICATE_PDF), lambda: CERTIFICATE_PDF),
        now=now,
    )
    if state == "appealed":
        return
    services.claim_appeal_propose(
        actor=third,
        claim_id=claim_id,
        seen_status="appealed",
        outcome="revised",
        reason="The payslips establish the reference wage: the pension is due.",
        now=now,
    )
    if state == "appeal_decided":
        services.claim_proposal_approve(actor=fourth, claim_id=claim_id, seen_status="appeal_proposed", now=now)


def demo_claims_seed(
    *, persons: dict[str, Person], enterprises: dict[str, Enterprise], users: dict[str, User], now: datetime.datetime
) -> None:
    """Once: a later seeding finds the claims and leaves them as they are."""
    pensioner = users["jean"]
    if Claim.objects.filter(person=persons["pensioner"]).exists():
        return
    workers = [_staff(users[f"caseworker{suffix}"]) for suffix in ("", "2", "3", "4")]
    for key, serial in (("pensioner", 17), ("employee", 33)):
        owner = User.objects.get(person=persons[key])
        _account(persons[key], owner, now - datetime.timedelta(days=210), serial)
    # Jean claimed his pension some seven months ago, from the earliest month a claim reaches
    # back to; it was granted ten days later (his payments since, and his life certificate's
    # year, in devtools/payments.py and devtools/life.py).
    filed = now - datetime.timedelta(days=200)
    jean_claim = claim_file(pensioner, "old-age-pension", str(Period.of(filed.date()).shifted(-11)), filed)
    services.claim_review_start(
        actor=workers[0], claim_id=jean_claim, seen_status="submitted", now=now - datetime.timedelta(days=190)
    )
    services.claim_decision_propose(
        actor=workers[0],
        claim_id=jean_claim,
        seen_status="in_review",
        outcome="granted",
        reason="The pension age is reached and the months credited are more than the minimum.",
        now=now - datetime.timedelta(days=190),
    )
    if Claim.objects.get(pk=jean_claim).status == "proposed":
        services.claim_proposal_approve(
            actor=workers[1], claim_id=jean_claim, seen_status="proposed", now=now - datetime.timedelta(days=189)
        )

    profile = country_profile()
    joinery = enterprises["joinery"]
    claimants: list[tuple[User, str]] = []
    for index, (first, last, year, state) in enumerate(QUEUE):
        person, _created = Person.objects.get_or_create(
            national_number=profile.synthetic_person_number(datetime.date(year, 4, 1 + index), QUEUE_SERIAL + index),
            defaults={
                "first_name": first,
                "last_name": last,
                "birth_date": datetime.date(year, 4, 1 + index),
                "street": "Rue des Tanneurs 10",
                "postal_code": "7000",
                "city": "Mons",
                "country": "BE",
                "preferred_language": "fr" if index % 3 else "en",
            },
        )
        user = User.objects.filter(person=person).first() or User.objects.create(
            email=f"claimant{index + 1}@demo.guichet.example", first_name=first, last_name=last, person=person
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        _account(person, user, now, QUEUE_SERIAL + index)
        claimants.append((user, state))
    career, _onset_day = career_and_onset(timezone.localdate(now))
    paid_history(
        joinery,
        [user.person_id for user, _state in claimants if user.person_id is not None],
        career[0].through(career[1]),
        users["admin"],
        now,
        unpaid=0,
    )
    month = str(Period.of(now.date()))
    for user, state in claimants:
        filed_at = now - datetime.timedelta(days=100 if state == "late" else 5)
        claim_id = claim_file(
            user, "disability-pension", month if state != "late" else str(Period.of(filed_at.date())), filed_at
        )
        _take_to(state, claim_id, workers, timezone.now() if state != "late" else filed_at, _citizen(user))
