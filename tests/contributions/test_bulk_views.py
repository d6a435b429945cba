"""Bulk declaration files on the web: sending a file through the form, its acknowledgement, the
immediate refusals, following it to its outcome, its anomalies and their CSV, the public format
page and its template and sample, and who may see what."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contributions import bulk, services
from contributions.models import BulkChunk, BulkUpload, Declaration, UploadStatus
from identity.country_profiles import country_profile
from tests.contributions.bulk_helpers import HEADER, NOW, PERIOD, csv_bytes, process, receive, rows_for
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_storage"), pytest.mark.time_machine(NOW, tick=False)]

UPLOADS = reverse("contributions:bulk_uploads")
LOGIN = reverse("account_login")


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return str(translation.gettext(message))


def _client(user, language: str = "en") -> Client:
    client = sign_in(Client(), user, mfa=True)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def _send(client: Client, content: bytes, name: str = "paie.csv"):
    return client.post(UPLOADS, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def _page_url(upload: BulkUpload) -> str:
    return reverse("contributions:bulk_upload", args=[upload.pk])


def _good_file(w) -> bytes:
    return csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]), separator=";", crlf=True)


# --- Sending a file --------------------------------------------------------------------------


def test_a_file_sent_through_the_form_is_acknowledged_on_its_page(w):
    client = _client(w["bureau_user"])
    content = _good_file(w)

    response = _send(client, content)

    upload = BulkUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _page_url(upload)
    assert (upload.uploaded_by_id, upload.channel, upload.size, upload.status) == (
        w["bureau_user"].pk,
        "form",
        len(content),
        UploadStatus.RECEIVED,
    )
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "File received. It is being checked, line by line." in text
    assert hashlib.sha256(content).hexdigest() in text
    assert f"{len(content)}\xa0bytes" in text
    assert "separator “;”, decimal mark “,”, line endings CRLF, utf-8" in text
    assert "Refresh to see how far it is" in text
    assert "guichet/js/progress.js" in text


def test_the_same_file_again_leads_to_the_first_upload_with_a_notice(w):
    client = _client(w["bureau_user"])
    content = _good_file(w)
    first = _send(client, content)

    again = _send(client, content, name="renamed.csv")

    upload = BulkUpload.objects.get()
    assert again.status_code == 302
    assert again["Location"] == first["Location"] == _page_url(upload)
    assert upload.file_name == "paie.csv"
    assert "This file was already sent: here is what became of it." in client.get(again["Location"]).content.decode()


def test_the_form_has_a_csrf_token_and_a_post_without_it_is_refused(w):
    client = sign_in(Client(enforce_csrf_checks=True), w["bureau_user"])

    form = client.get(UPLOADS)
    refused = _send(client, _good_file(w))

    assert 'name="csrfmiddlewaretoken"' in form.content.decode()
    assert refused.status_code == 403
    assert not BulkUpload.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02binary", "This is not a CSV text file encoded in UTF-8."),
        (b"\xff\xfe not utf-8\n", "This is not a CSV text file encoded in UTF-8."),
        (
            b"nom,prenom,salaire\nDupont,Marie,3000\n",
            "The first row must be the header, with these columns in this order: employer_number, period,"
            " national_number, last_name, first_name, worker_category, gross_wage, days_worked.",
        ),
        (b"", "The file has a header but no line to declare."),
        ((HEADER + "\n").encode(), "The file has a header but no line to declare."),
    ],
)
def test_a_file_refused_at_once_shows_the_form_again_with_why_and_nothing_is_kept(w, content, message):
    client = _client(w["bureau_user"])

    response = _send(client, content)

    text = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in text and "The file was refused" in text
    assert message in text
    assert 'aria-invalid="true"' in text
    assert not BulkUpload.objects.exists()


def test_a_post_without_a_file_is_refused(w):
    response = _client(w["bureau_user"]).post(UPLOADS, {})

    assert response.status_code == 400
    assert "Choose the file to send." in response.content.decode()


def test_too_many_lines_and_too_many_files_in_progress_are_refused_with_the_limit(w, settings):
    client = _client(w["bureau_user"])
    settings.BULK_MAX_LINES = 2

    too_long = _send(client, _good_file(w))

    assert too_long.status_code == 400
    assert "The file has more than 2 lines: split it into several files." in too_long.content.decode()
    settings.BULK_MAX_LINES = 100
    settings.BULK_MAX_IN_PROGRESS = 1
    assert _send(client, _good_file(w)).status_code == 302
    busy = _send(client, csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk][:1])))
    assert busy.status_code == 400
    assert "1 of your files are still being processed" in busy.content.decode()
    assert BulkUpload.objects.count() == 1


def test_a_file_too_large_is_refused_from_its_announced_length_before_its_body_is_read(w, settings):
    settings.BULK_MAX_BYTES = 1000
    client = _client(w["bureau_user"])

    # An empty body announced as 10 MB: reading it would fail (the test client's payload holds
    # nothing), so a 413 with the form shows that the length alone decided.
    response = client.post(
        UPLOADS,
        data=b"",
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(10 * 1024 * 1024),
    )

    assert response.status_code == 413
    assert "The file is larger than the limit of 1000\xa0bytes." in response.content.decode()
    assert not BulkUpload.objects.exists()


def test_a_file_too_large_within_the_envelope_allowance_is_refused_as_it_is_read(w, settings):
    content = _good_file(w)
    settings.BULK_MAX_BYTES = len(content) - 1

    response = _send(_client(w["bureau_user"]), content)

    assert response.status_code == 413
    assert f"The file is larger than the limit of {len(content) - 1}\xa0bytes." in response.content.decode()
    assert not BulkUpload.objects.exists()


def test_a_too_large_post_is_refused_before_the_csrf_check_reads_it(w, settings):
    """The CSRF middleware would read (and store) the whole body to find its token: the length
    is checked first, and a refusal writes nothing."""
    settings.BULK_MAX_BYTES = 1000
    client = sign_in(Client(enforce_csrf_checks=True), w["bureau_user"])

    response = client.post(
        UPLOADS,
        data=b"",
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(10 * 1024 * 1024),
    )

    assert response.status_code == 413
    assert not BulkUpload.objects.exists()


# --- Following a file to its outcome ---------------------------------------------------------


def test_an_accepted_file_shows_its_totals_per_employer_and_period(w):
    client = _client(w["bureau_user"])
    people = w["staff"][w["a"].pk]
    upload = BulkUpload.objects.get(pk=_send(client, _good_file(w))["Location"].split("/")[-2])

    process(upload)
    response = client.get(_page_url(upload))

    declaration = Declaration.objects.get(bulk_upload=upload)
    text = response.content.decode()
    assert "The file is accepted: 1 declaration is in force." in text
    assert "Refresh to see how far it is" not in text
    assert "guichet/js/progress.js" not in text
    number = country_profile().enterprise_number.format(w["a"].enterprise_number)
    totals = response.context["totals"]
    assert [(t.enterprise_number, t.period, t.lines, t.total_wages, t.declaration_reference) for t in totals] == [
        (number, PERIOD, len(people), declaration.total_wages, declaration.reference)
    ]
    assert f'{w["a"].name} <span class="text-base">({number})</span>' in text
    assert declaration.reference in text
    assert "9,000.00" in text
    assert "No anomaly: every line is valid." in text


def test_a_file_being_processed_shows_the_totals_of_the_lines_checked_so_far(w, settings):
    settings.BULK_CHUNK_LINES = 2
    client = _client(w["bureau_user"])
    upload = receive(w["bureau_actor"], _good_file(w)).upload
    bulk.upload_plan(upload_id=upload.pk, now=upload.created_at)
    first = BulkChunk.objects.get(upload=upload, number=1)
    bulk.chunk_process(chunk_id=first.pk, now=upload.created_at)

    response = client.get(_page_url(upload))

    totals = response.context["totals"]
    assert [(t.enterprise_id, t.period, t.lines, t.total_wages, t.declaration_reference) for t in totals] == [
        (w["a"].pk, PERIOD, 2, Decimal("6000.00"), "")
    ]
    assert totals[0].contributions > 0
    text = response.content.decode()
    assert '2</span> / <span data-field="lines_total">3</span>' in text
    assert "Refresh to see how far it is" in text


def test_a_rejected_file_lists_its_anomalies_in_french_with_the_csv_link(w):
    client = _client(w["bureau_user"], language="fr")
    rows = rows_for(w["a"], w["staff"][w["a"].pk])
    rows[1][6] = "-10"
    upload = receive(w["bureau_actor"], csv_bytes(rows)).upload

    process(upload)
    response = client.get(_page_url(upload))

    text = response.content.decode()
    assert response.status_code == 200
    rejected = (
        "The file is rejected: it has blocking errors, so none of its declarations was stored."
        " Correct the lines below and send the whole file again."
    )
    assert _in("fr", rejected) in text
    assert "Le salaire brut ne peut pas être négatif." in text
    assert "<code>wage_negative</code>" in text
    assert '<th scope="row" data-label="Ligne">3</th><td data-label="Colonne">gross_wage</td>' in text
    assert reverse("contributions:bulk_upload_anomalies", args=[upload.pk]) in text
    assert response.context["totals"] == []


def test_anomalies_are_shown_a_page_at_a_time(w, monkeypatch):
    monkeypatch.setattr("contributions.views.bulk.ANOMALIES_PER_PAGE", 2)
    client = _client(w["bureau_user"])
    rows = rows_for(w["a"], w["staff"][w["a"].pk])
    for row in rows:
        row[5] = "astronaut"
    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)

    first = client.get(_page_url(upload))
    second = client.get(_page_url(upload), {"page": 2})
    beyond = client.get(_page_url(upload), {"page": "nonsense"})

    assert [a.line_number for a, _m in first.context["anomalies"]] == [2, 3]
    assert [a.line_number for a, _m in second.context["anomalies"]] == [4]
    assert [a.line_number for a, _m in beyond.context["anomalies"]] == [2, 3]
    assert "3 anomalies — page 1 of 2" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    assert 'href="?page=1"' in second.content.decode()


def test_the_anomalies_csv_repeats_the_file_with_formulas_neutralised(w):
    client = _client(w["bureau_user"], language="fr")
    rows = rows_for(w["a"], w["staff"][w["a"].pk])
    rows[0][1] = "=1+1"
    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)

    response = client.get(reverse("contributions:bulk_upload_anomalies", args=[upload.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="guichet-anomalies-{upload.pk}.csv"'
    report = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff"))))
    assert report[0][0] == "Ligne"
    number = country_profile().enterprise_number.format(w["a"].enterprise_number)
    assert report[1][:6] == ["2", "period", number, "'=1+1", "erreur bloquante", "period_format"]
    assert report[1][6] == _in("fr", "The period must be written YYYY-MM.")


def test_the_progress_json_follows_the_processing(w):
    client = _client(w["bureau_user"])
    upload = receive(w["bureau_actor"], _good_file(w)).upload
    url = reverse("contributions:bulk_upload_progress", args=[upload.pk])

    with translation.override("en"):
        label = str(upload.get_status_display())
    received = client.get(url)
    process(upload)
    finished = client.get(url)

    assert received.json() == {
        "status": "received",
        "status_label": label,
        "lines_total": None,
        "lines_done": 0,
        "percent": 0,
        "errors": 0,
        "warnings": 0,
        "finished": False,
    }
    assert received["Cache-Control"].startswith("max-age=0")
    body = finished.json()
    assert (body["status"], body["lines_total"], body["lines_done"], body["percent"], body["finished"]) == (
        "accepted",
        3,
        3,
        100,
        True,
    )


# --- The format, its template and sample -----------------------------------------------------


def test_the_format_page_and_its_files_are_public(client):
    page = client.get(reverse("contributions:bulk_format"))
    template = client.get(reverse("contributions:bulk_file", args=["template"]))
    other = client.get(reverse("contributions:bulk_file", args=["other"]))

    assert page.status_code == 200
    assert "employer_number" in page.content.decode()
    assert template.status_code == 200
    assert template["Content-Disposition"] == 'attachment; filename="guichet-declarations-template.csv"'
    assert template.content.decode() == (
        "employer_number,period,national_number,last_name,first_name,worker_category,gross_wage,days_worked\n"
    )
    assert other.status_code == 404


def test_the_sample_file_is_accepted_for_its_employer(client):
    from devtools.rates import demo_rates_seed

    demo_rates_seed()
    sample = client.get(reverse("contributions:bulk_file", args=["sample"])).content
    rows = list(csv.reader(io.StringIO(sample.decode("utf-8"))))[1:]
    profile = country_profile()
    enterprise = EnterpriseFactory(enterprise_number=profile.enterprise_number.validate(rows[0][0]))
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    for _employer, period, number, last, first, category, _wage, _days in rows:
        compact = profile.person_number.validate(number)
        person = PersonFactory(national_number=compact, last_name=last, first_name=first)
        start = datetime.date.fromisoformat(f"{period}-01")
        services.employment_hire(
            actor=actor,
            enterprise_id=enterprise.pk,
            national_number=person.national_number,
            worker_category=category,
            start_date=start,
            now=datetime.datetime.combine(start, datetime.time(8), tzinfo=datetime.UTC) - datetime.timedelta(days=1),
        )
    sign_in(client, declarant)

    sent = _send(client, sample, name="guichet-declarations-sample.csv")
    upload = process(BulkUpload.objects.get())

    assert sent.status_code == 302
    assert (upload.status, upload.errors, upload.warnings, upload.declarations) == (UploadStatus.ACCEPTED, 0, 0, 1)
    declaration = Declaration.objects.get(bulk_upload=upload)
    assert (declaration.enterprise_id, declaration.line_count) == (enterprise.pk, 3)


# --- Who may see what ------------------------------------------------------------------------


def _urls(upload_id: int) -> list[str]:
    return [
        reverse("contributions:bulk_upload", args=[upload_id]),
        reverse("contributions:bulk_upload_progress", args=[upload_id]),
        reverse("contributions:bulk_upload_anomalies", args=[upload_id]),
    ]


def test_anonymous_is_sent_to_sign_in_for_every_private_page(w, client):
    upload = receive(w["bureau_actor"], _good_file(w)).upload

    for url in [UPLOADS, *_urls(upload.pk)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{LOGIN}?next={url}"
    posted = client.post(UPLOADS, {"file": SimpleUploadedFile("x.csv", _good_file(w))})
    assert posted.status_code == 302 and posted["Location"].startswith(LOGIN)
    assert BulkUpload.objects.count() == 1


def test_a_person_who_represents_no_enterprise_finds_nothing(w):
    client = _client(UserFactory())

    assert client.get(UPLOADS).status_code == 404
    assert client.post(UPLOADS, {"file": SimpleUploadedFile("x.csv", _good_file(w))}).status_code == 404
    assert not BulkUpload.objects.exists()


def test_nobody_else_sees_an_upload_not_even_a_representative_of_the_same_employers(w):
    upload = process(receive(w["bureau_actor"], _good_file(w)).upload)
    colleague = UserFactory()
    representation(colleague, w["bureau"], "declarant")
    with_totp(w["a_user"])  # an administrator of employer A: signed in with a second factor
    owner = _client(w["bureau_user"])

    for url in _urls(upload.pk):
        assert owner.get(url).status_code == 200, url
    for user in (w["a_user"], colleague, UserFactory()):
        client = _client(user)
        for url in _urls(upload.pk):
            assert client.get(url).status_code == 404, (user, url)
    for user in (w["a_user"], colleague):
        assert _client(user).get(UPLOADS).context["uploads"] == []


def test_an_upload_id_that_does_not_exist_is_not_found(w):
    upload = receive(w["bureau_actor"], _good_file(w)).upload
    client = _client(w["bureau_user"])

    for url in _urls(upload.pk + 1000):
        assert client.get(url).status_code == 404, url


def test_the_list_shows_ones_own_files_only(w):
    mine = receive(w["bureau_actor"], _good_file(w), name="mine.csv").upload
    receive(w["a_actor"], csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk][:1])), name="theirs.csv")

    response = _client(w["bureau_user"]).get(UPLOADS)

    assert [item.pk for item in response.context["uploads"]] == [mine.pk]
    assert "theirs.csv" not in response.content.decode()
