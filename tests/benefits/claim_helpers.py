"""A claimant with a career and a bank account, case workers, and a claim taken to any step."""

from __future__ import annotations

import datetime
import io

from django.contrib.auth.models import Group
from django.utils import timezone

from devtools.claims import claim_file
from identity.models import BankAccount, FamilyLink
from tests.benefits.career_helpers import career
from tests.helpers import citizen_actor, staff_actor
from tests.identity.factories import PersonFactory, UserFactory

IBAN = "BE71096123456769"


def pdf_bytes(text: str = "A birth certificate") -> bytes:
    """A real one-page PDF (WeasyPrint), as a scan sent by a claimant would be."""
    import weasyprint

    return bytes(weasyprint.HTML(string=f"<p>{text}</p>").write_pdf())


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, format="PNG")
    return out.getvalue()


def parent_with_newborn(*, born: datetime.date) -> dict:
    """Ana (born 1985, insured since 2010, an account on file) and her baby Léo."""
    person = PersonFactory(first_name="Ana", last_name="Martin", birth_date=datetime.date(1985, 3, 2), country="BE")
    career(person, "2010-01", "2025-12", "2500.00")
    user = UserFactory(person=person)
    baby = PersonFactory(first_name="Léo", last_name="Martin", birth_date=born, country="BE")
    FamilyLink.objects.create(person=person, relative=baby, kind="parent_child", started_on=born)
    BankAccount.objects.create(
        person=person, iban=IBAN, holder_name="Ana Martin", created_at=timezone.now(), created_by=user
    )
    return {"person": person, "user": user, "baby": baby, "actor": citizen_actor(user)}


def case_worker(name: str = "Worker"):
    user = UserFactory(is_staff=True, person=PersonFactory(last_name=name))
    user.groups.add(Group.objects.get(name="Case worker"))
    return user, staff_actor(user)


def filed_claim(
    claimant: dict, *, slug: str = "birth-grant", subject_person_id: int | None = None, month: str = ""
) -> int:
    """A claim filled in and submitted by the claimant (a birth certificate attached), as the
    demo files its own."""
    return claim_file(
        claimant["user"],
        slug,
        month,
        timezone.now(),
        subject_person_id=claimant["baby"].pk if subject_person_id is None else subject_person_id,
        document=("acte.pdf", pdf_bytes()),
    )
