"""Bulk declaration files through the API: sent as multipart or as a text/csv body and
acknowledged at once (hash, format), the same file recognised, every immediate rejection with its
code and status and nothing stored, the processing followed through the API, and who may send
and read what."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from contributions import bulk
from contributions.models import BulkUpload, Declaration, DeclarationLine, UploadStatus
from core.actor import LevelOfAssurance
from identity import services as identity_services
from identity.models import ApiKey
from tests.contributions.bulk_helpers import NOW, PERIOD, csv_bytes, process, rows_for
from tests.helpers import citizen_actor
from tests.identity.factories import UserFactory, representation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_storage"), pytest.mark.time_machine(NOW, tick=False)]

URL = "/api/v1/uploads/"


def _key(enterprise, scopes=("declare", "read"), name="Payroll"):
    admin = UserFactory()
    representation(admin, enterprise, "administrator")
    _id, key = identity_services.api_key_create(
        actor=citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk})),
        enterprise_id=enterprise.pk,
        name=name,
        scopes=list(scopes),
        now=timezone.now(),
    )
    return key


def _headers(key, language="en", **more):
    headers = {"Accept-Language": language, **more}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def _send(key, content, *, name="paie.csv", language="en"):
    """As multipart/form-data, the way a browser or most HTTP libraries send a file."""
    return Client().post(
        URL, {"file": SimpleUploadedFile(name, content, content_type="text/csv")}, headers=_headers(key, language)
    )


def _send_body(key, content, *, file_name=None, language="en", **environ):
    """As the raw body, Content-Type: text/csv."""
    more = {"X-File-Name": file_name} if file_name is not None else {}
    # The test client leaves out the content type of an empty body; a client would not.
    environ.setdefault("CONTENT_TYPE", "text/csv")
    return Client().post(URL, content, content_type="text/csv", headers=_headers(key, language, **more), **environ)


def _get(key, path, language="en", **query):
    return Client().get(path, query, headers=_headers(key, language))


def _file(w, **options):
    return csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]), **options)


def _stored_files(settings):
    return sorted(path for path in settings.BULK_UPLOAD_DIR.rglob("*") if path.is_file())


# --- Acknowledgement -------------------------------------------------------------------------


def test_a_multipart_file_is_acknowledged_at_once_with_its_hash_and_format(w):
    key = _key(w["bureau"])
    content = _file(w)

    response = _send(key, content, name="octobre.csv")

    assert response.status_code == 202
    body = response.json()
    upload = BulkUpload.objects.get()
    status_url = f"http://testserver/api/v1/uploads/{upload.pk}/"
    assert body == {
        "id": upload.pk,
        "file_name": "octobre.csv",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "format": {"encoding": "utf-8", "separator": ",", "decimal_mark": ".", "line_ending": "LF"},
        "status": "received",
        "received_at": body["received_at"],
        "links": {"status": status_url, "anomalies": f"{status_url}anomalies/"},
        "duplicate": False,
    }
    assert response["Location"] == status_url
    assert (upload.channel, upload.key_enterprise_id, upload.uploaded_by_id) == ("api", w["bureau"].pk, None)
    assert upload.uploaded_with_key_id == ApiKey.objects.get().pk
    assert datetime.datetime.fromisoformat(body["received_at"]) == upload.created_at


def test_a_text_csv_body_is_acknowledged_with_the_format_detected(w, settings):
    key = _key(w["bureau"])
    content = csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk], wage="3000,50"), separator=";", bom=True, crlf=True)

    response = _send_body(key, content, file_name="paie%20d%C3%A9cembre.csv")

    assert response.status_code == 202
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    assert body["format"] == {"encoding": "utf-8-sig", "separator": ";", "decimal_mark": ",", "line_ending": "CRLF"}
    assert body["file_name"] == "paie décembre.csv"
    assert _stored_files(settings)[0].read_bytes() == content
    # Without a name, the file has the default one.
    assert _send_body(key, _file(w, crlf=True)).json()["file_name"] == "declarations.csv"


@pytest.mark.parametrize("send", [_send, _send_body])
def test_the_file_is_streamed_not_read_into_memory_as_a_request_body(w, settings, send):
    # request.body refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413): a file is not one.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    content = _file(w)

    response = send(_key(w["bureau"]), content)

    assert response.status_code == 202
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()


def test_the_same_file_again_answers_200_with_the_first_upload_and_stores_nothing(w, settings):
    key = _key(w["bureau"])
    another_key_of_the_bureau = _key(w["bureau"], name="second")
    content = _file(w)
    first = _send(key, content, name="first.csv").json()

    again = _send_body(another_key_of_the_bureau, content, file_name="renamed.csv")

    assert again.status_code == 200
    assert again.json() == {**first, "duplicate": True}
    assert BulkUpload.objects.count() == 1
    assert len(_stored_files(settings)) == 1


# --- Immediate rejections ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "status"),
    [
        (b"", "empty", 400),
        (csv_bytes([]), "empty", 400),
        (b"%PDF-1.7\x00\x01\x02binary", "not_csv", 400),
        (b"employer,period,national\n1,2,3\n", "header", 400),
    ],
)
@pytest.mark.parametrize("send", [_send, _send_body])
def test_a_file_that_cannot_be_a_declaration_file_is_refused_with_its_code_and_nothing_is_stored(
    w, settings, send, content, code, status
):
    response = send(_key(w["bureau"]), content)

    assert response.status_code == status
    assert response.json() == {"code": code, "message": bulk.rejection(code).message, "errors": []}
    assert BulkUpload.objects.count() == 0
    assert _stored_files(settings) == []


def test_a_multipart_body_without_a_file_is_refused(w, settings):
    response = Client().post(URL, {"other": "x"}, headers=_headers(_key(w["bureau"])))

    assert response.status_code == 400
    assert response.json() == {"code": "no_file", "message": "Choose the file to send.", "errors": []}
    assert BulkUpload.objects.count() == 0


def test_a_body_of_another_media_type_is_refused_with_415(w, settings):
    response = Client().post(
        URL, b'{"file": "x"}', content_type="application/json", headers=_headers(_key(w["bureau"]))
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert "text/csv" in response.json()["message"]
    assert BulkUpload.objects.count() == 0


@pytest.mark.parametrize("send", [_send, _send_body])
def test_too_many_lines_and_too_large_are_413_and_too_many_files_in_progress_429(w, settings, send):
    key = _key(w["bureau"])
    content = _file(w)

    settings.BULK_MAX_LINES = 2
    too_many_lines = send(key, content)
    settings.BULK_MAX_LINES, settings.BULK_MAX_BYTES = 100, len(content) - 1
    too_large = send(key, content)
    limit_message = bulk.rejection("too_large").message
    assert (BulkUpload.objects.count(), _stored_files(settings)) == (0, [])

    settings.BULK_MAX_BYTES, settings.BULK_MAX_IN_PROGRESS = 10_000_000, 1
    assert send(key, content).status_code == 202
    too_many_uploads = send(key, _file(w, crlf=True))

    assert (too_many_lines.status_code, too_many_lines.json()["code"]) == (413, "too_many_lines")
    assert "2" in too_many_lines.json()["message"]
    assert (too_large.status_code, too_large.json()["code"]) == (413, "too_large")
    assert too_large.json()["message"] == limit_message
    assert str(len(content) - 1) in limit_message
    assert (too_many_uploads.status_code, too_many_uploads.json()["code"]) == (429, "too_many_uploads")
    assert too_many_uploads["Retry-After"] == "60"
    assert BulkUpload.objects.count() == 1
    assert len(_stored_files(settings)) == 1


@pytest.mark.parametrize(
    ("send", "declared_length"),
    [
        # The multipart envelope is allowed for on top of the file.
        (_send, 1000 + 64 * 1024 + 1),
        (_send_body, 1001),
    ],
)
def test_a_declared_length_over_the_limit_is_refused_with_413_before_the_body_is_read(
    w, settings, send, declared_length
):
    settings.BULK_MAX_BYTES = 1000
    # The body is shorter than the length declared: reading it would fail the request.
    if send is _send:
        response = Client().post(
            URL,
            {"file": SimpleUploadedFile("big.csv", _file(w))},
            headers=_headers(_key(w["bureau"])),
            CONTENT_LENGTH=str(declared_length),
        )
    else:
        response = _send_body(_key(w["bureau"]), _file(w), CONTENT_LENGTH=str(declared_length))

    assert response.status_code == 413
    assert response.json() == {"code": "too_large", "message": bulk.rejection("too_large").message, "errors": []}
    assert "1000" in response.json()["message"]
    assert (BulkUpload.objects.count(), _stored_files(settings)) == (0, [])


def test_no_idempotency_key_is_needed_and_one_sent_is_ignored_the_file_is_the_key(w):
    key = _key(w["bureau"])
    first = Client().post(URL, _file(w), content_type="text/csv", headers=_headers(key, **{"Idempotency-Key": "same"}))
    other_file = Client().post(
        URL, _file(w, crlf=True), content_type="text/csv", headers=_headers(key, **{"Idempotency-Key": "same"})
    )

    assert (first.status_code, other_file.status_code) == (202, 202)
    assert first.json()["id"] != other_file.json()["id"]


# --- Following the processing ----------------------------------------------------------------


def test_the_processing_is_followed_through_the_api_until_accepted_with_its_totals(w):
    key = _key(w["bureau"])
    receipt = _send(key, _file(w)).json()
    status_url = receipt["links"]["status"]

    waiting = _get(key, status_url).json()
    assert (waiting["status"], waiting["progress"], waiting["totals"], waiting["finished_at"]) == (
        "received",
        {"lines_total": None, "lines_done": 0, "percent": 0},
        [],
        None,
    )

    process(BulkUpload.objects.get(pk=receipt["id"]))
    response = _get(key, status_url)

    assert response.status_code == 200
    body = response.json()
    declaration = Declaration.objects.get()
    amounts = sum(line.employee_amount + line.employer_amount for line in DeclarationLine.objects.all())
    assert body["status"] == "accepted"
    assert body["progress"] == {"lines_total": 3, "lines_done": 3, "percent": 100}
    assert (body["errors"], body["warnings"], body["declarations"]) == (0, 0, 1)
    assert body["finished_at"] is not None
    assert body["totals"] == [
        {
            "employer_number": w["a"].enterprise_number,
            "employer_name": w["a"].name,
            "period": PERIOD,
            "lines": 3,
            "total_wages": "9000.00",
            "contributions": str(amounts),
            "declaration_reference": declaration.reference,
        }
    ]
    del receipt["duplicate"]
    assert {name: body[name] for name in receipt} == {**receipt, "status": "accepted"}
    assert _get(key, receipt["links"]["anomalies"]).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_a_rejected_files_anomalies_are_paginated_with_their_codes_and_messages_in_french(w):
    key = _key(w["bureau"])
    rows = rows_for(w["a"], w["staff"][w["a"].pk], wage="-1.00")
    receipt = _send(key, csv_bytes(rows)).json()
    process(BulkUpload.objects.get(pk=receipt["id"]))

    detail = _get(key, receipt["links"]["status"]).json()
    first = _get(key, receipt["links"]["anomalies"], "fr", page_size=2)
    second = _get(key, first.json()["next"], "fr")

    assert (detail["status"], detail["errors"], detail["totals"]) == ("rejected", 3, [])
    assert detail["progress"] == {"lines_total": 3, "lines_done": 3, "percent": 100}
    assert first.status_code == 200 and first.json()["count"] == 3
    anomalies = first.json()["results"] + second.json()["results"]
    assert second.json()["next"] is None
    assert anomalies == [
        {
            "line": line,
            "field": "gross_wage",
            "employer_number": rows[0][0],
            "period": PERIOD,
            "code": "wage_negative",
            "severity": "error",
            "message": "Le salaire brut ne peut pas être négatif.",
        }
        for line in (2, 3, 4)
    ]
    assert Declaration.objects.count() == 0


def test_the_list_is_the_enterprises_files_newest_first_paginated_in_constant_queries(w, django_assert_max_num_queries):
    key = _key(w["bureau"])
    ids = [_send(key, _file(w, **options)).json()["id"] for options in ({}, {"crlf": True}, {"bom": True})]
    _send(_key(w["b"]), csv_bytes(rows_for(w["b"], w["staff"][w["b"].pk])))

    with django_assert_max_num_queries(6):
        page = _get(key, URL, page_size=2).json()
    rest = _get(key, page["next"]).json()

    assert page["count"] == 3
    assert [u["id"] for u in page["results"] + rest["results"]] == ids[::-1]
    # The same file again: its acknowledgement, as first given.
    acknowledgement = _send(key, _file(w, bom=True)).json()
    del acknowledgement["duplicate"]
    assert page["results"][0] == {
        **acknowledgement,
        "lines_total": None,
        "errors": 0,
        "warnings": 0,
        "declarations": 0,
        "finished_at": None,
    }


# --- Who may send and read -------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["anonymous", "unknown", "revoked"])
def test_without_a_valid_key_nothing_is_sent_or_read(w, settings, caller):
    owner_key = _key(w["bureau"])
    upload_id = _send(owner_key, _file(w)).json()["id"]
    key = {"anonymous": None, "unknown": "gch_000000000000." + "a" * 43}.get(caller)
    if caller == "revoked":
        key = _key(w["bureau"], name="old")
        ApiKey.objects.filter(name="old").update(revoked_at=timezone.now())

    answers = [
        _send(key, _file(w, crlf=True)),
        _send_body(key, _file(w, bom=True)),
        _get(key, URL),
        _get(key, f"{URL}{upload_id}/"),
        _get(key, f"{URL}{upload_id}/anomalies/"),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(401, "unauthenticated")] * 5
    assert BulkUpload.objects.count() == 1
    assert len(_stored_files(settings)) == 1


def test_a_read_only_key_cannot_send_but_reads_and_a_declare_only_key_does_both(w, settings):
    reader = _key(w["bureau"], scopes=("read",), name="reader")
    writer = _key(w["bureau"], scopes=("declare",), name="writer")

    refused = _send(reader, _file(w))
    assert (refused.status_code, refused.json()["code"]) == (403, "scope_missing")
    assert (BulkUpload.objects.count(), _stored_files(settings)) == (0, [])

    upload_id = _send(writer, _file(w)).json()["id"]
    for key in (reader, writer):
        assert [
            _get(key, path).status_code for path in (URL, f"{URL}{upload_id}/", f"{URL}{upload_id}/anomalies/")
        ] == [200, 200, 200]


def test_another_enterprises_upload_a_forged_id_and_a_non_numeric_id_answer_404(w):
    bureau_key = _key(w["bureau"])
    upload_id = _send(bureau_key, _file(w)).json()["id"]
    # Neither another enterprise nor the employer the file declares for reads the bureau's file.
    for other in (_key(w["b"]), _key(w["a"])):
        for path in (f"{URL}{upload_id}/", f"{URL}{upload_id}/anomalies/"):
            response = _get(other, path)
            assert (response.status_code, response.json()["code"]) == (404, "not_found")
        assert _get(other, URL).json()["count"] == 0
    for path in (f"{URL}{upload_id + 1000}/", f"{URL}abc/", f"{URL}{upload_id}x/anomalies/", f"{URL}-1/"):
        response = _get(bureau_key, path)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_bureau_key_sends_for_a_mandating_employer_and_a_line_for_another_is_an_error(w):
    key = _key(w["bureau"])
    rows = rows_for(w["a"], w["staff"][w["a"].pk]) + rows_for(w["b"], w["staff"][w["b"].pk][:1])
    rejected = _send(key, csv_bytes(rows)).json()
    process(BulkUpload.objects.get(pk=rejected["id"]))
    accepted = _send(key, _file(w)).json()
    process(BulkUpload.objects.get(pk=accepted["id"]))

    assert _get(key, rejected["links"]["status"]).json()["status"] == UploadStatus.REJECTED
    anomalies = _get(key, rejected["links"]["anomalies"]).json()["results"]
    assert [(a["line"], a["field"], a["code"], a["severity"]) for a in anomalies] == [
        (5, "employer_number", "employer_not_allowed", "error")
    ]
    assert _get(key, accepted["links"]["status"]).json()["status"] == UploadStatus.ACCEPTED
    declaration = Declaration.objects.get()
    assert (declaration.enterprise_id, declaration.via_bureau_id, declaration.line_count) == (
        w["a"].pk,
        w["bureau"].pk,
        3,
    )


def test_the_upload_endpoints_are_throttled_like_the_others(w, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "key": "2/min"}
    key = _key(w["bureau"])

    answers = [_get(key, URL).status_code, _send(key, _file(w)).status_code, _get(key, URL)]

    assert answers[:2] == [200, 202]
    assert (answers[2].status_code, answers[2].json()["code"]) == (429, "throttled")
    assert int(answers[2]["Retry-After"]) > 0
