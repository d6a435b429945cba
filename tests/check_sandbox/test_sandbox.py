"""The sandbox identity check provider: its API asks for the merchant's secret, creates one check
per idempotency key, its hosted page decides a check once, and its signed callback reaches the
merchant once, retried while the merchant fails."""

import datetime
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from check_sandbox.models import SandboxCheck
from check_sandbox.tasks import callback_deliver, callback_send
from core.signatures import SIGNATURE_HEADER, verify

pytestmark = pytest.mark.django_db

BODY = {
    "reference": "LC-2026-000123",
    "given_name": "Maria",
    "family_name": "Da Silva",
    "birth_date": "1948-03-07",
    "return_url": "https://merchant.example/back",
    "callback_url": "https://merchant.example/callback",
}
NOBODY = "00000000-0000-0000-0000-000000000000"


def _create(settings, body=BODY, key="k-1", secret=None, raw=None):
    headers = {"Authorization": f"Bearer {secret or settings.LIFE_CHECK_SANDBOX_SECRET}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return Client().post(
        "/sandbox-check/api/checks/", raw or json.dumps(body), content_type="application/json", headers=headers
    )


def _status(settings, check_id):
    return Client().get(
        f"/sandbox-check/api/checks/{check_id}/",
        headers={"Authorization": f"Bearer {settings.LIFE_CHECK_SANDBOX_SECRET}"},
    )


def test_the_api_needs_the_merchant_secret(settings):
    refused = _create(settings, secret="wrong")
    assert (refused.status_code, refused.json()) == (401, {"error": "unauthorised"})
    assert (
        Client().post("/sandbox-check/api/checks/", json.dumps(BODY), content_type="application/json").status_code
        == 401
    )
    assert Client().get(f"/sandbox-check/api/checks/{NOBODY}/").status_code == 401
    assert not SandboxCheck.objects.exists()


@pytest.mark.parametrize(
    ("body", "key", "raw"),
    [
        ({k: v for k, v in BODY.items() if k != "birth_date"}, "k-1", None),
        ({k: v for k, v in BODY.items() if k != "reference"}, "k-1", None),
        ({k: v for k, v in BODY.items() if k != "callback_url"}, "k-1", None),
        ({**BODY, "birth_date": "1948-02-30"}, "k-1", None),
        ({**BODY, "birth_date": "07/03/1948"}, "k-1", None),
        ({**BODY, "birth_date": "19480307"}, "k-1", None),
        ({**BODY, "birth_date": 1948}, "k-1", None),
        ({**BODY, "reference": "R" * 36}, "k-1", None),
        ({**BODY, "given_name": ""}, "k-1", None),
        ({**BODY, "family_name": None}, "k-1", None),
        ({**BODY, "callback_url": "ftp://merchant.example/callback"}, "k-1", None),
        (BODY, None, None),
        (BODY, "", None),
        (BODY, "k-1", "{not json"),
        (BODY, "k-1", json.dumps([BODY])),
    ],
)
def test_an_invalid_check_is_refused(settings, body, key, raw):
    answer = _create(settings, body=body, key=key, raw=raw)
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_request"})
    assert not SandboxCheck.objects.exists()


def test_one_check_per_idempotency_key_and_its_status(settings):
    first, again = _create(settings), _create(settings)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    check_id = first.json()["id"]
    assert first.json() == {
        "id": check_id,
        "status": "pending",
        "reference": "LC-2026-000123",
        "redirect_url": f"{settings.LIFE_CHECK_SANDBOX_URL.rstrip('/')}/check/{check_id}/",
    }
    assert _create(settings, key="k-2").json()["id"] != check_id
    status = _status(settings, check_id)
    assert (status.status_code, status.json()) == (200, first.json())
    check = SandboxCheck.objects.get(pk=check_id)
    assert (check.given_name, check.family_name, check.birth_date) == ("Maria", "Da Silva", datetime.date(1948, 3, 7))
    missing = _status(settings, NOBODY)
    assert (missing.status_code, missing.json()) == (404, {"error": "not_found"})


def test_the_hosted_page_shows_whom_it_checks_and_the_three_answers(settings):
    check_id = _create(settings).json()["id"]
    page = Client().get(f"/sandbox-check/check/{check_id}/", headers={"Accept-Language": "en"})
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="en"' in html
    assert "remote identity check provider" in html
    assert "Maria Da Silva" in html
    assert 'datetime="1948-03-07"' in html
    for value, label in (("pass", "Identity confirmed"), ("fail", "The check failed"), ("cancel", "Cancel")):
        assert f'name="decision" value="{value}">{label}</button>' in html
    assert Client().get(f"/sandbox-check/check/{NOBODY}/").status_code == 404


@pytest.mark.parametrize(("decision", "status"), [("pass", "passed"), ("fail", "failed"), ("cancel", "cancelled")])
def test_each_answer_decides_the_check(settings, django_capture_on_commit_callbacks, decision, status):
    check_id = _create(settings).json()["id"]
    with django_capture_on_commit_callbacks() as queued:
        decided = Client().post(f"/sandbox-check/check/{check_id}/", {"decision": decision})
    assert (decided.status_code, decided["Location"]) == (302, "https://merchant.example/back")
    assert _status(settings, check_id).json()["status"] == status
    assert SandboxCheck.objects.get().decided_at is not None
    assert len(queued) == 1


def test_the_hosted_page_decides_once_and_queues_one_callback(settings, django_capture_on_commit_callbacks):
    check_id = _create(settings).json()["id"]
    page = f"/sandbox-check/check/{check_id}/"
    assert Client().post(page, {"decision": "steal"}).status_code == 400
    assert Client().post(page, {}).status_code == 400
    assert SandboxCheck.objects.get().status == "pending"
    with django_capture_on_commit_callbacks() as queued:
        decided = Client().post(page, {"decision": "fail"})
        decided_at = SandboxCheck.objects.get().decided_at
        again = Client().post(page, {"decision": "pass"})
    assert decided["Location"] == again["Location"] == "https://merchant.example/back"
    check = SandboxCheck.objects.get()
    assert (check.status, check.decided_at) == ("failed", decided_at)
    assert len(queued) == 1  # one callback for the one decision
    assert "already decided" in Client().get(page, headers={"Accept-Language": "en"}).content.decode()


# --- The callback, to a merchant on this machine -------------------------------------------------


class Merchant:
    """A merchant's callback endpoint: records what it receives, answers the given statuses in turn
    (the last one from then on)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.received = []
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                merchant.received.append((body, dict(self.headers)))
                status = merchant.answers.pop(0) if len(merchant.answers) > 1 else merchant.answers[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _decided(settings, merchant, decision="pass"):
    check_id = _create(settings, body={**BODY, "callback_url": merchant.url}).json()["id"]
    Client().post(f"/sandbox-check/check/{check_id}/", {"decision": decision})
    return check_id


def test_the_callback_is_signed_and_sent_once(settings):
    with Merchant([204]) as merchant:
        check_id = _decided(settings, merchant)
        callback_send.apply(kwargs={"check_id": check_id}).get()
        callback_send.apply(kwargs={"check_id": check_id}).get()
    assert len(merchant.received) == 1
    body, headers = merchant.received[0]
    assert json.loads(body) == {"id": check_id, "status": "passed", "reference": "LC-2026-000123"}
    signature = headers[SIGNATURE_HEADER]
    assert verify(body=body, header=signature, secret=settings.LIFE_CHECK_SANDBOX_SECRET, now=time.time())
    assert not verify(body=body, header=signature, secret="another secret", now=time.time())
    assert not verify(
        body=body.replace(b"passed", b"failed"),
        header=signature,
        secret=settings.LIFE_CHECK_SANDBOX_SECRET,
        now=time.time(),
    )
    check = SandboxCheck.objects.get()
    assert (check.callback_attempts, check.callback_delivered_at is not None) == (1, True)


def test_the_callback_is_retried_while_the_merchant_fails(settings):
    with Merchant([500, 503, 200]) as merchant:
        check_id = _decided(settings, merchant, decision="cancel")
        assert callback_deliver(check_id=check_id) is False
        assert SandboxCheck.objects.get().callback_delivered_at is None
        result = callback_send.apply(kwargs={"check_id": check_id})
        assert result.successful(), result.traceback
    assert [json.loads(body)["status"] for body, _ in merchant.received] == ["cancelled"] * 3
    check = SandboxCheck.objects.get()
    assert (check.callback_attempts, check.callback_delivered_at is not None) == (3, True)


def test_a_merchant_that_keeps_failing_runs_out_of_retries(settings):
    with Merchant([500]) as merchant:
        check_id = _decided(settings, merchant)
        result = callback_send.apply(kwargs={"check_id": check_id})
    assert result.failed()
    assert len(merchant.received) == SandboxCheck.objects.get().callback_attempts == callback_send.max_retries + 1
    assert SandboxCheck.objects.get().callback_delivered_at is None


def test_no_callback_for_a_pending_check(settings):
    with Merchant([200]) as merchant:
        check_id = _create(settings, body={**BODY, "callback_url": merchant.url}).json()["id"]
        assert callback_deliver(check_id=check_id) is True
    assert merchant.received == []
    assert SandboxCheck.objects.get().callback_attempts == 0
