"""The life certificate page through HTTP: who may read it and send a certificate (the
authorization matrix), a certificate sent and refused files told in the reader's language, and
the remote identity check at the sandbox provider over HTTP, settled by its signed callback
through a real worker."""

from __future__ import annotations

import datetime
import io
import re
import time
import uuid

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.test import Client
from django.urls import reverse

from benefits.life import campaign
from benefits.models import (
    EntitlementState,
    LifeCertificate,
    LifeCertificateRequest,
    LifeCheck,
    LifeCheckStatus,
    LifeRequestStatus,
)
from core.models import AccessRecord
from core.types import Scope
from portal.celery import app
from tests.benefits.claim_helpers import png_bytes
from tests.benefits.payment_helpers import aware, pensioner
from tests.helpers import act_for, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = aware(D(2026, 3, 2))
EN = {"Accept-Language": "en"}
URL = "/my-file/life-certificate/"


def _text(response) -> str:
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\N{NO-BREAK SPACE}", " ").split())


@pytest.fixture
def jean():
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        found = pensioner(start_on=D(2026, 1, 1), now=NOW - datetime.timedelta(days=30))
        found["person"].country = "PT"
        found["person"].save()
        campaign.life_certificates_ask(now=NOW - datetime.timedelta(days=28))
    return found


def _upload(name: str = "certificado.png", content: bytes | None = None):
    upload = io.BytesIO(png_bytes() if content is None else content)
    upload.name = name
    return upload


@pytest.mark.parametrize(
    ("who", "status", "form"),
    [
        ("anonymous", 302, False),
        ("owner", 200, True),
        ("other_citizen", 200, False),
        ("viewer", 200, False),
        ("manager", 200, True),
        ("payment_details_only", 403, False),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_who_reads_the_page_and_who_may_send_a_certificate(client, jean, who, status, form):
    if who == "owner":
        sign_in(client, jean["user"])
    elif who == "other_citizen":
        sign_in(client, UserFactory(person=PersonFactory()))
    elif who == "viewer":
        act_for(client, jean["user"], [Scope.VIEW_FILE])
    elif who == "manager":
        act_for(client, jean["user"], [Scope.MANAGE_CLAIMS])
    elif who == "payment_details_only":
        act_for(client, jean["user"], [Scope.MANAGE_PAYMENT_DETAILS])

    page = client.get(URL, headers=EN)

    assert page.status_code == status
    html = page.content.decode()
    assert ('name="file"' in html) is form
    reference = LifeCertificateRequest.objects.get().reference
    assert (reference in html) is (who in {"owner", "viewer", "manager"})
    # The identity check is offered to the pensioner alone.
    assert (reverse("benefits:life_check_start") in html) is (who == "owner")


@time_machine.travel(NOW, tick=False)
def test_a_proxy_sends_a_certificate_the_page_says_it_is_checked_and_the_pensioner_sees_who_did_it(client, jean):
    proxy, _mandate = act_for(client, jean["user"], [Scope.MANAGE_CLAIMS])

    sent = client.post(reverse("benefits:life_certificate_send"), {"file": _upload()}, headers=EN)
    again = client.post(reverse("benefits:life_certificate_send"), {"file": _upload()}, headers=EN)

    assert sent.status_code == 302
    assert again.status_code == 400
    assert "A certificate you sent is being checked" in _text(again)
    assert LifeCertificate.objects.count() == 1
    assert LifeCertificateRequest.objects.get().status == LifeRequestStatus.RECEIVED
    page = _text(client.get(URL, headers=EN))
    assert "A certificate is being checked by our staff" in page
    assert "certificado.png" in page
    assert AccessRecord.objects.filter(
        subject_person_id=jean["person"].pk, actor_user_id=proxy.pk, detail="life certificate sent"
    ).exists()
    owner = sign_in(Client(), jean["user"])
    trail = _text(owner.get(reverse("portal:access_log"), headers=EN))
    assert "a life certificate sent for you" in trail


@pytest.mark.parametrize(
    ("upload", "english", "french"),
    [
        (None, "Choose the file of the certificate.", "Choisissez le fichier du certificat."),
        (
            ("note.txt", b"I am alive"),
            "Send a PDF, JPEG or PNG file",
            "Envoyez un fichier PDF, JPEG ou PNG",
        ),
        (
            ("scan.png", b"\x89PNG\r\n\x1a\nbroken"),
            "Send a PDF, JPEG or PNG file",
            "Envoyez un fichier PDF, JPEG ou PNG",
        ),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_a_wrong_file_is_refused_in_the_readers_language_and_nothing_is_stored(client, jean, upload, english, french):
    sign_in(client, jean["user"])
    data = {"file": _upload(*upload)} if upload else {}
    answered_en = client.post(reverse("benefits:life_certificate_send"), data, headers=EN)
    data = {"file": _upload(*upload)} if upload else {}
    answered_fr = client.post(reverse("benefits:life_certificate_send"), data, headers={"Accept-Language": "fr"})
    assert (answered_en.status_code, answered_fr.status_code) == (400, 400)
    assert english in _text(answered_en)
    assert french in _text(answered_fr)
    assert not LifeCertificate.objects.exists()
    assert LifeCertificateRequest.objects.get().status == LifeRequestStatus.ASKED


@time_machine.travel(NOW, tick=False)
def test_a_file_over_the_limit_is_refused_before_it_is_read(client, jean, settings):
    settings.CLAIM_DOCUMENT_MAX_BYTES = 1000
    sign_in(client, jean["user"])
    answered = client.post(
        reverse("benefits:life_certificate_send"), {"file": _upload(content=b"\x89PNG" + b"0" * 5000)}, headers=EN
    )
    assert answered.status_code == 400
    assert "The file is too large" in _text(answered)
    assert not LifeCertificate.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_another_persons_identity_check_is_not_found(client, jean):
    check = LifeCheck.objects.create(
        request=LifeCertificateRequest.objects.get(),
        provider="sandbox",
        started_at=NOW,
        started_by=jean["user"],
    )
    sign_in(client, UserFactory(person=PersonFactory()))
    assert client.get(reverse("benefits:life_check_return", args=[check.pk])).status_code == 404


def test_a_forged_callback_is_refused_and_changes_nothing(client):
    answered = client.post(
        reverse("benefits:life_check_callback", args=["sandbox"]),
        data=b'{"id": "x", "status": "passed"}',
        content_type="application/json",
    )
    assert answered.status_code == 400
    assert client.post(reverse("benefits:life_check_callback", args=["other"])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_pensioner_passes_the_check_at_the_sandbox_and_its_signed_callback_resumes_the_pension(
    live_server, settings
):
    settings.SITE_URL = live_server.url
    settings.LIFE_CHECK_SANDBOX_URL = f"{live_server.url}/sandbox-check/"
    with time_machine.travel(aware(D(2026, 1, 10)), tick=False):
        jean = pensioner(start_on=D(2026, 1, 1), now=aware(D(2026, 1, 10)))
    jean["person"].country = "PT"
    jean["person"].save()
    campaign.life_certificates_ask(now=aware(D(2026, 1, 12)))
    campaign.life_certificates_lapse(now=aware(D(2026, 4, 20)))
    jean["entitlement"].refresh_from_db()
    assert jean["entitlement"].state == EntitlementState.SUSPENDED
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge("default")
    client = sign_in(Client(), jean["user"])

    started = client.post(reverse("benefits:life_check_start"), {"intent": str(uuid.uuid4())})
    assert started.status_code == 302
    assert started["Location"].startswith(f"{live_server.url}/sandbox-check/check/")
    path = started["Location"].removeprefix(live_server.url)
    hosted = Client().get(path, headers=EN)
    assert "Jean Dubois" in hosted.content.decode()

    with start_worker(app, pool="solo", perform_ping_check=False, queues=["default"], shutdown_timeout=30):
        decided = Client().post(path, {"decision": "pass"})
        assert decided.status_code == 302
        deadline = time.monotonic() + 30
        while LifeCheck.objects.get().status == LifeCheckStatus.PENDING and time.monotonic() < deadline:
            time.sleep(0.1)

    assert LifeCheck.objects.get().status == LifeCheckStatus.PASSED
    request = LifeCertificateRequest.objects.get()
    assert (request.status, request.confirmed_by) == (LifeRequestStatus.CONFIRMED, "remote_check")
    jean["entitlement"].refresh_from_db()
    assert jean["entitlement"].state == EntitlementState.ACTIVE
    back = client.get(decided["Location"], headers=EN, follow=True)
    assert "Your identity is confirmed" in _text(back)
    assert "Done for this year" in _text(back)
