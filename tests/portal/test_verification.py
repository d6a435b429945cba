"""Verifiable documents: codes nobody can guess and only their digest stored, the round trip from
registration to verification, documents revoked or expired no longer valid, and the public page —
one same answer for every code that verifies nothing, limited per client address, in FR and EN.

Texts the page translates are compared with what the catalogues say (``_in``), so that the tests
hold whether or not the French catalogue has been compiled."""

import collections
import datetime
import hashlib
import math
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from core import documents
from core.models import VerifiableDocument
from core.types import DocumentKind, DocumentSubject, VerificationResult
from tests.helpers import sign_in
from tests.identity.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db

# 11:00 in Brussels.
NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
CODE = re.compile(r"^[A-HJKMNP-Z2-9]{4}(-[A-HJKMNP-Z2-9]{4}){5}$")
VERIFY = reverse("portal:verify")


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    """The page reads the clock: it stands a day after NOW (the functions are given their ``now``)."""
    monkeypatch.setattr(timezone, "now", lambda: NOW + datetime.timedelta(days=1))


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return str(translation.gettext(message))


def _register(*, holder="Boulangerie Dupont SRL", subject_type=DocumentSubject.ENTERPRISE, now=NOW, valid_until=None):
    document_id, code = documents.document_register(
        kind=DocumentKind.COMPLIANCE_CERTIFICATE,
        holder_name=holder,
        subject_type=subject_type,
        subject_id=42,
        valid_until=valid_until,
        issued_by_id=None,
        now=now,
    )
    documents.document_set_content_hash(document_id=document_id, content=b"%PDF-1.7 the issued file")
    return document_id, code


def _main(response, code=""):
    """The page's main content, the code it echoes blanked out (the header holds a CSRF token)."""
    body = response.content.decode()
    main = body[body.index("<main") : body.index("</main>")]
    return main.replace(code, "<code>") if code else main


# --- Codes ------------------------------------------------------------------------------------


def test_codes_are_24_unambiguous_symbols_in_groups_of_four_with_more_than_100_bits():
    alphabet = documents.CODE_ALPHABET
    assert len(set(alphabet)) == len(alphabet) == 31
    assert not set("0O1IL") & set(alphabet)
    assert documents.CODE_LENGTH * math.log2(len(alphabet)) == pytest.approx(118.9, abs=0.05)

    codes = [_register()[1] for _ in range(60)]

    assert all(CODE.match(code) for code in codes), codes
    assert len(set(codes)) == 60
    # 1,440 draws: every symbol shows up, none is favoured much (each is expected about 46 times).
    counts = collections.Counter("".join(codes).replace("-", ""))
    assert set(counts) == set(alphabet)
    assert max(counts.values()) < 90


def test_only_the_digest_and_the_first_group_of_the_code_are_stored():
    document_id, code = _register()
    compact = code.replace("-", "")

    row = VerifiableDocument.objects.get(pk=document_id)

    assert row.code_digest == hashlib.sha256(compact.encode()).hexdigest()
    assert row.code_prefix == compact[:4]
    stored = " ".join(str(getattr(row, field.attname)) for field in VerifiableDocument._meta.concrete_fields)
    assert compact[4:8] not in stored and compact[-4:] not in stored
    assert "Boulangerie" not in stored and "Dupont" not in stored
    assert row.holder_name_masked == "Boul*** Dup*** SRL"
    assert row.content_sha256 == hashlib.sha256(b"%PDF-1.7 the issued file").hexdigest()


@pytest.mark.parametrize(
    ("name", "subject_type", "masked"),
    [
        ("Boulangerie Dupont SRL", DocumentSubject.ENTERPRISE, "Boul*** Dup*** SRL"),
        ("Marie Dupont", DocumentSubject.PERSON, "M*** D***"),
        ("Jean-Pierre  Van den Berg", DocumentSubject.PERSON, "J***-P*** V*** d*** B***"),
        ("A & B s.a.", DocumentSubject.ENTERPRISE, "A*** & B*** s.a."),
        ("Sa Belle Epoque", DocumentSubject.PERSON, "S*** B*** E***"),
    ],
)
def test_the_holders_name_is_masked(name, subject_type, masked):
    assert documents.holder_name_mask(name, subject_type=subject_type) == masked


def test_a_code_is_read_whatever_its_case_spaces_and_dashes():
    _document_id, code = _register()
    typed = " " + code.lower().replace("-", " – ") + " "

    assert documents.code_normalise(typed) == code.replace("-", "")
    assert documents.document_verify(code=typed, now=NOW) == documents.document_verify(code=code, now=NOW)
    assert documents.code_normalise(code[:-1]) is None
    assert documents.code_normalise(code[:-1] + "0") is None


# --- Verification -----------------------------------------------------------------------------


def test_a_registered_document_verifies_with_its_kind_dates_and_masked_holder_only():
    _document_id, code = _register(valid_until=datetime.date(2027, 5, 10))

    result = documents.document_verify(code=code, now=NOW + datetime.timedelta(days=30))

    assert result == VerificationResult(
        kind="compliance_certificate",
        issued_at=NOW,
        valid_until=datetime.date(2027, 5, 10),
        is_valid_now=True,
        revoked=False,
        holder_name_masked="Boul*** Dup*** SRL",
    )
    assert {field for field in VerificationResult.__dataclass_fields__} == {
        "kind",
        "issued_at",
        "valid_until",
        "is_valid_now",
        "revoked",
        "holder_name_masked",
    }


def test_an_unknown_or_malformed_code_is_not_found():
    _register()
    unknown = "-".join(["ABCD"] * 6)
    assert documents.document_verify(code=unknown, now=NOW) is None
    assert documents.document_verify(code="not a code", now=NOW) is None
    assert documents.document_verify(code="", now=NOW) is None


def test_a_document_whose_file_was_never_recorded_does_not_verify():
    _document_id, code = documents.document_register(
        kind=DocumentKind.COMPLIANCE_CERTIFICATE,
        holder_name="Boulangerie Dupont SRL",
        subject_type=DocumentSubject.ENTERPRISE,
        subject_id=42,
        valid_until=None,
        issued_by_id=None,
        now=NOW,
    )
    assert documents.document_verify(code=code, now=NOW) is None


def test_the_content_hash_is_set_once():
    document_id, _code = _register()
    with pytest.raises(LookupError):
        documents.document_set_content_hash(document_id=document_id, content=b"another file")
    assert VerifiableDocument.objects.get(pk=document_id).content_sha256 == (
        hashlib.sha256(b"%PDF-1.7 the issued file").hexdigest()
    )


def test_a_document_is_valid_through_its_last_day_then_expired():
    _document_id, code = _register(valid_until=datetime.date(2027, 5, 10))
    # 23:30 in Brussels on the last day, then 00:30 the day after.
    last_evening = datetime.datetime(2027, 5, 10, 21, 30, tzinfo=datetime.UTC)

    assert documents.document_verify(code=code, now=last_evening).is_valid_now is True
    after = documents.document_verify(code=code, now=last_evening + datetime.timedelta(hours=1))
    assert (after.is_valid_now, after.revoked) == (False, False)


def test_a_revoked_document_is_not_valid():
    document_id, code = _register()
    revoked_at = NOW + datetime.timedelta(days=3)

    assert documents.document_revoke(document_id=document_id, now=revoked_at) is True
    assert documents.document_revoke(document_id=document_id, now=revoked_at) is False

    before = documents.document_verify(code=code, now=NOW + datetime.timedelta(days=1))
    after = documents.document_verify(code=code, now=revoked_at)
    assert (before.is_valid_now, before.revoked) == (True, False)
    assert (after.is_valid_now, after.revoked) == (False, True)
    assert VerifiableDocument.objects.get(pk=document_id).revoked_at == revoked_at


def test_a_document_cannot_be_registered_with_an_unknown_kind_or_expired_already():
    for kind, valid_until in (("passport", None), (DocumentKind.COMPLIANCE_CERTIFICATE, datetime.date(2026, 11, 9))):
        with pytest.raises(ValueError):
            documents.document_register(
                kind=kind,
                holder_name="X",
                subject_type=DocumentSubject.ENTERPRISE,
                subject_id=1,
                valid_until=valid_until,
                issued_by_id=None,
                now=NOW,
            )
    assert not VerifiableDocument.objects.exists()


# --- The public page --------------------------------------------------------------------------


def test_the_page_asks_for_the_code_with_a_labelled_field(client):
    response = client.get(VERIFY, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<label class="usa-label" for="id_code">Verification code' in body
    assert 'aria-describedby="id_code_helptext"' in body
    assert '<form class="usa-form usa-form--large" method="get" action="/verify/"' in body
    assert "<script" not in _main(response)


def test_the_qr_address_shows_an_authentic_document_in_english(client, settings):
    settings.SITE_URL = "https://guichet.example/"
    _document_id, code = _register(now=NOW, valid_until=datetime.date(2099, 6, 30))
    assert documents.verification_url(code) == f"https://guichet.example/verify/?code={code}"

    response = client.get(VERIFY, {"code": code}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    main = _main(response)
    assert "Authentic document, valid today" in main
    for label, value in [
        ("Document", "Compliance certificate (contributions)"),
        ("Issued on", "10 November 2026"),
        ("Valid until", "30 June 2099"),
        ("Holder", "Boul*** Dup*** SRL"),
    ]:
        assert f'<dt class="text-bold">{label}</dt><dd class="margin-left-0' in main
        assert f">{value}</dd>" in main, value
    assert "Boulangerie" not in main


def test_the_page_answers_in_french(client):
    _document_id, code = _register(now=NOW, valid_until=datetime.date(2099, 6, 30))

    response = client.get(VERIFY, {"code": code}, HTTP_ACCEPT_LANGUAGE="fr")

    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert _in("fr", "Authentic document, valid today") in body
    assert ">10 novembre 2026</dd>" in body and ">30 juin 2099</dd>" in body
    assert f">{_in('fr', 'Compliance certificate (contributions)')}</dd>" in body


def test_unknown_revoked_and_expired_codes_get_one_same_answer_linked_to_the_field(client):
    unknown = "-".join(["ABCD"] * 6)
    revoked_id, revoked = _register(now=timezone.now() - datetime.timedelta(days=10))
    documents.document_revoke(document_id=revoked_id, now=timezone.now() - datetime.timedelta(days=1))
    _expired_id, expired = _register(
        now=datetime.datetime(2020, 1, 6, 9, 0, tzinfo=datetime.UTC), valid_until=datetime.date(2020, 7, 6)
    )

    answers = [client.get(VERIFY, {"code": code}, HTTP_ACCEPT_LANGUAGE="en") for code in (unknown, revoked, expired)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    mains = [_main(answer, code) for answer, code in zip(answers, (unknown, revoked, expired), strict=True)]
    assert mains[0] == mains[1] == mains[2]
    assert '<span class="usa-error-message" id="id_code_error">No valid document has this code.' in mains[0]
    assert 'aria-describedby="id_code_helptext id_code_error"' in mains[0]
    assert 'aria-invalid="true"' in mains[0]
    assert "Boul***" not in mains[0] and "Authentic" not in mains[0]


def test_a_code_that_cannot_be_one_is_refused_by_the_form_and_not_counted(client, settings):
    settings.DOCUMENT_VERIFICATION_MAX_FAILURES = 2
    _document_id, code = _register(now=NOW, valid_until=datetime.date(2099, 6, 30))

    response = client.get(VERIFY, {"code": "12345"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert (
        '<span class="usa-error-message" id="id_code_error">'
        "Enter the code as printed on the document: 24 letters and digits, in groups of four."
    ) in _main(response)
    assert [client.get(VERIFY, {"code": typed}).status_code for typed in ["", "0" * 24, code + "A"]] == [400] * 3
    assert client.get(VERIFY, {"code": code}).status_code == 200


def test_wrong_codes_are_limited_per_client_address_and_the_limit_reveals_nothing(client, settings):
    settings.DOCUMENT_VERIFICATION_MAX_FAILURES = 10
    settings.DOCUMENT_VERIFICATION_WINDOW_SECONDS = 600
    _document_id, code = _register(now=NOW, valid_until=datetime.date(2099, 6, 30))
    wrong = ["-".join([f"ABC{symbol}"] * 6) for symbol in "ABCDEFGHJK"]

    statuses = [client.get(VERIFY, {"code": guess}).status_code for guess in wrong]
    limited = client.get(VERIFY, {"code": code}, HTTP_ACCEPT_LANGUAGE="en")

    assert statuses == [200] * 10
    assert limited.status_code == 429
    assert limited["Retry-After"] == "600"
    main = _main(limited, code)
    assert "<h1>Too many attempts</h1>" in main
    assert "try again in 10 minutes." in main
    assert "Boul***" not in main and "Authentic" not in main and "<code>" not in main
    # Another address is not held back, and the right code still verifies there.
    elsewhere = client.get(VERIFY, {"code": code}, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 200 and "Boul*** Dup*** SRL" in _main(elsewhere)


def test_codes_that_verify_do_not_count_against_the_limit(client, settings):
    settings.DOCUMENT_VERIFICATION_MAX_FAILURES = 3
    _document_id, code = _register(now=NOW, valid_until=datetime.date(2099, 6, 30))

    assert [client.get(VERIFY, {"code": code}).status_code for _ in range(8)] == [200] * 8
    assert [client.get(VERIFY, {"code": "-".join(["ABCD"] * 6)}).status_code for _ in range(4)] == [200] * 3 + [429]


def test_the_limit_counts_the_client_behind_the_trusted_proxy_and_an_ipv6_block_as_one(client, settings):
    settings.DOCUMENT_VERIFICATION_MAX_FAILURES = 2
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    wrong = {"code": "-".join(["ABCD"] * 6)}

    def attempt(client_address):
        return client.get(VERIFY, wrong, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=client_address).status_code

    assert [attempt("203.0.113.5"), attempt("203.0.113.5"), attempt("203.0.113.5")] == [200, 200, 429]
    assert attempt("203.0.113.6") == 200
    assert [attempt("2001:db8:0:1::1"), attempt("2001:db8:0:1::ffff"), attempt("2001:db8:0:1:abcd::9")] == [
        200,
        200,
        429,
    ]
    assert attempt("2001:db8:0:2::1") == 200


def test_the_limit_page_speaks_french(client, settings):
    settings.DOCUMENT_VERIFICATION_MAX_FAILURES = 1
    wrong = {"code": "-".join(["ABCD"] * 6)}
    client.get(VERIFY, wrong)

    response = client.get(VERIFY, wrong, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 429
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert f"<h1>{_in('fr', 'Too many attempts')}</h1>" in body


def test_the_catalogue_offers_verification_to_everyone(client):
    for persona in ("citizen", "employer", "pensioner", "third-party"):
        body = client.get(reverse("portal:home"), {"persona": persona}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'href="/verify/"' in body, persona
        assert "Verify a document issued by Guichet" in body, persona


def test_staff_revoke_a_document_in_the_back_office_and_its_code_stops_verifying(client):
    document_id, code = _register(now=NOW, valid_until=datetime.date(2099, 6, 30))
    other_id, _other = _register(now=NOW)
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    sign_in(client, staff, mfa=True)
    changelist = reverse("admin:core_verifiabledocument_changelist")
    assert client.get(changelist).status_code == 200

    response = client.post(changelist, {"action": "revoke", "_selected_action": [str(document_id)]})

    assert response.status_code == 302
    assert list(VerifiableDocument.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)) == [
        document_id
    ]
    assert VerifiableDocument.objects.get(pk=other_id).revoked_at is None
    assert "Authentic" not in _main(client.get(VERIFY, {"code": code}, HTTP_ACCEPT_LANGUAGE="en"))
