"""A declaration file arriving while the upload storage fails — its folder taken, the disk
full in the middle of the file — answers 503 "uploads unavailable" in the person's language
(a page, or the API's error body), logs the storage's own error, keeps no file and records
nothing."""

from __future__ import annotations

import logging
import resource
import signal
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contributions.models import BulkUpload
from tests.contributions.bulk_helpers import NOW, csv_bytes, rows_for
from tests.contributions.test_bulk_api import _headers, _key
from tests.helpers import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_storage"), pytest.mark.time_machine(NOW, tick=False)]

UPLOADS = reverse("contributions:bulk_uploads")


def _content(w, copies: int = 1) -> bytes:
    rows = rows_for(w["a"], w["staff"][w["a"].pk])
    return csv_bytes(rows * copies)


def _months_folder_taken(storage) -> None:
    """Where this month's files go, a file stands: the storage refuses to store there."""
    now = timezone.now()
    (storage / f"{now:%Y}").mkdir(parents=True)
    (storage / f"{now:%Y}" / f"{now:%m}").write_bytes(b"not a folder")


def _files_left(storage) -> list[str]:
    return sorted(str(path.relative_to(storage)) for path in storage.rglob("*") if path.is_file())


@pytest.fixture
def full_disk() -> Iterator[int]:
    """Files of this process may not grow past 40 kB for the test (RLIMIT_FSIZE): writing past
    it fails with EFBIG, as on a full disk."""
    limit = 40_000
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield limit
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@pytest.mark.parametrize(("language", "words"), [("fr", "stockage"), ("en", "file storage")])
def test_a_file_sent_on_the_form_while_the_storage_refuses_it_answers_503_and_keeps_nothing(
    w, bulk_storage, caplog, language, words
):
    _months_folder_taken(bulk_storage)
    client = sign_in(Client(raise_request_exception=False), w["bureau_user"], mfa=True)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    with caplog.at_level(logging.ERROR):
        response = client.post(UPLOADS, {"file": SimpleUploadedFile("paie.csv", _content(w), content_type="text/csv")})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert words in page
    assert f'lang="{language}"' in page
    assert ("formulaire" if language == "fr" else "with the form") in page  # what still works: the form
    assert not BulkUpload.objects.exists()
    assert _files_left(bulk_storage) == [f"{timezone.now():%Y}/{timezone.now():%m}"]  # the blocking file only
    logged = [r for r in caplog.records if r.getMessage() == "upload storage failed"]
    assert logged and isinstance(logged[0].exc_info[1], NotADirectoryError | FileExistsError)


def test_a_file_sent_to_the_api_while_the_disk_fills_answers_503_in_the_error_shape(w, bulk_storage, caplog, full_disk):
    key = _key(w["a"])
    content = _content(w, copies=400)
    assert len(content) > full_disk
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).post(
            "/api/v1/uploads/",
            content,
            content_type="text/csv",
            headers=_headers(key, "fr", **{"Idempotency-Key": "k1"}),
        )
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["code"] == "unavailable"
    assert "Retry-After" in body["message"] and "rien" in body["message"].lower()
    assert not BulkUpload.objects.exists()
    assert _files_left(bulk_storage) == [], "the file being received is removed"
    logged = [r for r in caplog.records if r.getMessage() == "upload storage failed"]
    assert logged and logged[0].exc_info[1].errno == 27  # EFBIG: the storage's own error, not the clean-up's


def test_the_same_file_is_received_once_the_storage_is_back(w, bulk_storage):
    _months_folder_taken(bulk_storage)
    client = sign_in(Client(raise_request_exception=False), w["bureau_user"], mfa=True)
    content = _content(w)
    assert (
        client.post(UPLOADS, {"file": SimpleUploadedFile("paie.csv", content, content_type="text/csv")}).status_code
        == 503
    )
    (bulk_storage / f"{timezone.now():%Y}" / f"{timezone.now():%m}").unlink()
    response = client.post(UPLOADS, {"file": SimpleUploadedFile("paie.csv", content, content_type="text/csv")})
    assert response.status_code == 302
    [upload] = BulkUpload.objects.all()
    assert (bulk_storage / upload.stored_name).read_bytes() == content
