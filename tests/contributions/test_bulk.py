"""Bulk declaration files, service by service: formats, immediate rejections, duplicates, one
file for several employers (with and without mandate), all or nothing, the anomaly report,
chunks processed once whatever happens, and who may read an upload."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from contributions import bulk
from contributions.declarations import declaration_submit
from contributions.discrepancies import discrepancy_decide, discrepancy_report
from contributions.models import (
    BulkAnomaly,
    BulkChunk,
    BulkUpload,
    Declaration,
    DeclarationLine,
    DeclarationWarning,
    DiscrepancyReport,
    LedgerEntry,
    UploadStatus,
)
from contributions.services import NotFound
from contributions.types import LineInput
from identity.country_profiles import country_profile
from notifications.models import Notification
from tests.contributions.bulk_helpers import NOW, PERIOD, csv_bytes, process, receive, rows_for, world
from tests.helpers import citizen_actor, staff_actor
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_storage"), pytest.mark.time_machine(NOW, tick=False)]


def _accepted_state():
    return sorted(
        (line.declaration.enterprise_id, line.person_id, line.gross_wage, line.employee_amount, line.employer_amount)
        for line in DeclarationLine.objects.select_related("declaration")
    )


# --- Formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("separator", "bom", "crlf", "wage"),
    [
        (",", False, False, "3000.50"),
        (",", True, False, "3000.50"),
        (",", False, True, "3000.50"),
        (";", True, True, "3000,50"),
        (";", False, False, "3000.50"),
    ],
)
def test_every_format_variant_declares_the_same(w, separator, bom, crlf, wage):
    content = csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk], wage=wage), separator=separator, bom=bom, crlf=crlf)
    receipt = receive(w["bureau_actor"], content)

    upload = receipt.upload
    assert (upload.separator, upload.encoding, upload.line_ending) == (
        separator,
        "utf-8-sig" if bom else "utf-8",
        "CRLF" if crlf else "LF",
    )
    assert upload.decimal_mark == ("," if separator == ";" else ".")
    assert upload.size == len(content) and len(upload.sha256) == 64

    upload = process(upload)
    assert upload.status == UploadStatus.ACCEPTED, list(BulkAnomaly.objects.values_list("line_number", "code"))
    declaration = Declaration.objects.get(enterprise=w["a"], status="in_force")
    assert (declaration.line_count, declaration.total_wages, declaration.version) == (3, Decimal("9001.50"), 1)
    assert declaration.channel == "file" and declaration.via_bureau_id == w["bureau"].pk
    # 3000.50 × 0.069 = 207.0345 → 207.03 per line for the pension, as the form computes it
    assert declaration.totals["pension"][0] == "621.09"


def test_a_decimal_comma_with_the_comma_separator_is_an_error_of_its_line(w):
    people = w["staff"][w["a"].pk]
    rows = rows_for(w["a"], people)
    rows[1][6] = '"3000,50"'
    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)

    assert upload.status == UploadStatus.REJECTED
    assert list(BulkAnomaly.objects.values_list("line_number", "field", "code")) == [(3, "gross_wage", "wage_invalid")]


# --- Immediate rejections ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (csv_bytes([]), "empty"),
        (csv_bytes([]) + b"\n \r\n\n", "empty"),
        (b"%PDF-1.7\x00\x01\x02binary", "not_csv"),
        (b"\xff\xfe" + "employer_number".encode("utf-16-le"), "not_csv"),
        (b"employer,period,national\n1,2,3\n", "header"),
        (
            b"national_number,employer_number,period,last_name,first_name,worker_category,gross_wage,days_worked\n",
            "header",
        ),
    ],
)
def test_a_file_that_cannot_be_a_declaration_file_is_refused_at_once_and_nothing_is_kept(w, content, code, settings):
    with pytest.raises(bulk.UploadRejected) as refused:
        receive(w["bureau_actor"], content)

    assert refused.value.code == code and refused.value.message
    assert BulkUpload.objects.count() == 0
    assert not any(path.is_file() for path in settings.BULK_UPLOAD_DIR.rglob("*"))


def test_too_large_too_many_lines_and_too_many_uploads_in_progress_are_refused_with_the_limit(w, settings):
    content = csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]))
    settings.BULK_MAX_BYTES = len(content) - 1
    with pytest.raises(bulk.UploadRejected) as refused:
        receive(w["bureau_actor"], content)
    assert refused.value.code == "too_large" and str(refused.value.params["limit"]) in refused.value.message

    settings.BULK_MAX_BYTES = 10_000_000
    settings.BULK_MAX_LINES = 2
    with pytest.raises(bulk.UploadRejected) as refused:
        receive(w["bureau_actor"], content)
    assert refused.value.code == "too_many_lines" and "2" in refused.value.message

    settings.BULK_MAX_LINES = 100
    settings.BULK_MAX_IN_PROGRESS = 1
    receive(w["bureau_actor"], content)
    with pytest.raises(bulk.UploadRejected) as refused:
        receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk], wage="1.00")))
    assert refused.value.code == "too_many_uploads"
    assert BulkUpload.objects.count() == 1


def test_the_same_file_again_answers_with_the_first_upload(w):
    content = csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]))
    first = receive(w["bureau_actor"], content)
    again = receive(w["bureau_actor"], content, name="renamed.csv")

    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.upload.pk == first.upload.pk
    assert BulkUpload.objects.count() == 1
    # Someone else sending the same bytes has their own upload.
    assert receive(w["a_actor"], content).upload.pk != first.upload.pk


# --- Several employers, mandates, all or nothing ---------------------------------------------


def test_one_file_for_several_mandating_employers_makes_one_declaration_each(w):
    second = world()
    # The bureau of the first world is mandated by A only; give it the second world's A too.
    from core.actor import LevelOfAssurance
    from mandates import services as mandate_services

    mandate_services.enterprise_mandate_grant(
        actor=citizen_actor(
            second["a_user"], level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({second["a"].pk})
        ),
        enterprise_id=second["a"].pk,
        bureau_enterprise_number=w["bureau"].enterprise_number,
        scopes=["declare"],
        starts_on=timezone.localdate(),
        now=timezone.now(),
    )
    rows = rows_for(w["a"], w["staff"][w["a"].pk]) + rows_for(second["a"], second["staff"][second["a"].pk])
    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)

    assert upload.status == UploadStatus.ACCEPTED
    assert upload.declarations == 2
    assert sorted(Declaration.objects.filter(status="in_force").values_list("enterprise_id", "line_count")) == sorted(
        [(w["a"].pk, 3), (second["a"].pk, 3)]
    )
    # Each declaration posts its debit, with its structured reference.
    assert LedgerEntry.objects.filter(kind="declaration").count() == 2
    totals = bulk.upload_totals(upload=upload)
    assert [(t.lines, t.total_wages) for t in totals] == [(3, Decimal("9000.00")), (3, Decimal("9000.00"))]


def test_a_line_for_an_employer_that_did_not_mandate_the_bureau_rejects_the_whole_file_naming_that_line(w):
    rows = rows_for(w["a"], w["staff"][w["a"].pk]) + rows_for(w["b"], w["staff"][w["b"].pk][:1])
    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)

    assert upload.status == UploadStatus.REJECTED
    assert list(BulkAnomaly.objects.values_list("line_number", "field", "code", "severity")) == [
        (5, "employer_number", "employer_not_allowed", "error")
    ]
    assert Declaration.objects.count() == 0
    assert DeclarationLine.objects.count() == 0 and LedgerEntry.objects.count() == 0


def test_every_line_is_checked_and_one_error_stores_nothing_while_warnings_travel_with_an_accepted_file(w):
    people = w["staff"][w["a"].pk]
    stranger = PersonFactory()  # not hired: a warning
    rows = rows_for(w["a"], [*people, stranger])
    rows[0][2] = rows[0][2][:-1] + str((int(rows[0][2][-1]) + 1) % 10)  # wrong check digits
    rows[1][5] = "pilot"  # unknown category
    rows[2][7] = "40"  # more days than October has
    bad = csv_bytes([*rows, ["not-a-number", "2026-13", "x", "", "", "employee", "1", "1"], ["too", "few"]])
    rejected = process(receive(w["bureau_actor"], bad).upload)

    assert rejected.status == UploadStatus.REJECTED
    found = set(BulkAnomaly.objects.values_list("line_number", "code"))
    assert {
        (2, "national_number_checksum"),
        (3, "category_unknown"),
        (4, "days_outside_month"),
        (5, "not_hired"),
        (6, "employer_number_invalid"),
        (6, "period_format"),
        (7, "columns_count"),
    } <= found
    assert rejected.errors == BulkAnomaly.objects.filter(severity="error").count() >= 7
    assert rejected.warnings == BulkAnomaly.objects.filter(severity="warning").count() >= 1
    assert (Declaration.objects.count(), DeclarationLine.objects.count()) == (0, 0)

    good = process(receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], [*people, stranger]))).upload)
    assert good.status == UploadStatus.ACCEPTED and (good.errors, good.warnings) == (0, 1)
    declaration = Declaration.objects.get(status="in_force")
    assert list(DeclarationWarning.objects.values_list("declaration_id", "line_number", "code")) == [
        (declaration.pk, 5, "not_hired")
    ]


def test_the_same_employee_twice_in_one_period_is_a_duplicate_even_across_chunks(w, settings):
    settings.BULK_CHUNK_LINES = 2
    people = w["staff"][w["a"].pk]
    rows = rows_for(w["a"], [*people, people[0]])  # lines 2, 3 | 4, 5: the copy is in the second chunk
    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)

    assert BulkChunk.objects.filter(upload=upload).count() == 2
    assert upload.status == UploadStatus.REJECTED
    assert list(BulkAnomaly.objects.values_list("line_number", "code")) == [(5, "line_duplicate")]
    assert Declaration.objects.count() == 0 and DeclarationLine.objects.count() == 0


def test_chunks_give_the_same_declarations_as_one_pass(w, settings):
    rows = rows_for(w["a"], w["staff"][w["a"].pk])
    content = csv_bytes(rows)
    settings.BULK_CHUNK_LINES = 1
    upload = process(receive(w["bureau_actor"], content).upload)
    chunked = _accepted_state()
    assert upload.status == UploadStatus.ACCEPTED and BulkChunk.objects.filter(upload=upload).count() == 3

    first_lines = list(
        BulkChunk.objects.filter(upload=upload).order_by("number").values_list("first_line", "line_count")
    )
    assert first_lines == [(2, 1), (3, 1), (4, 1)]
    Declaration.objects.update(status="replaced")
    settings.BULK_CHUNK_LINES = 1000
    again = process(receive(w["a_actor"], content).upload)
    assert again.status == UploadStatus.ACCEPTED
    assert sorted(row for row in _accepted_state()) == sorted(chunked * 2)


def test_the_plan_reads_in_blocks_and_puts_every_line_in_one_chunk_whatever_the_blanks_and_endings(
    w, settings, monkeypatch
):
    # Blocks far smaller than a line: every line runs past a block's end and is completed. Blank
    # lines between, CRLF endings, the last line without one, two periods interleaved.
    monkeypatch.setattr("contributions.bulk.plan._BLOCK_BYTES", 16)
    settings.BULK_CHUNK_LINES = 2
    people = w["staff"][w["a"].pk]
    october, september = rows_for(w["a"], people), rows_for(w["a"], people, period="2026-09")
    lines = [october[0], [], ["   "], october[1], *september, october[2]]
    header = bulk.COLUMNS
    content = "\r\n".join([",".join(header), *(",".join(line) for line in lines)]).encode()
    upload = process(receive(w["bureau_actor"], content).upload)

    chunks = list(BulkChunk.objects.filter(upload=upload).order_by("number").values_list("first_line", "line_count"))
    assert chunks == [(2, 2), (6, 2), (8, 2)]
    assert (upload.status, upload.lines_total, upload.declarations) == (UploadStatus.ACCEPTED, 6, 2)
    declared = sorted(
        DeclarationLine.objects.values_list("declaration__period", "line_number", "person__national_number")
    )
    assert declared == [
        ("2026-09", 6, people[0].national_number),
        ("2026-09", 7, people[1].national_number),
        ("2026-09", 8, people[2].national_number),
        ("2026-10", 2, people[0].national_number),
        ("2026-10", 5, people[1].national_number),
        ("2026-10", 9, people[2].national_number),
    ]


def test_a_national_number_written_with_separators_declares_the_same_person_as_its_compact_form(w):
    people = w["staff"][w["a"].pk]
    rows = rows_for(w["a"], people)
    rows[1][2] = country_profile().person_number.format(people[1].national_number)  # 85.07.30-033.61
    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)

    assert rows[1][2] != people[1].national_number
    assert upload.status == UploadStatus.ACCEPTED
    assert sorted(DeclarationLine.objects.values_list("person_id", flat=True)) == sorted(p.pk for p in people)


def test_a_period_declared_by_form_while_the_file_was_processed_rejects_the_file(w):
    people = w["staff"][w["a"].pk]
    upload = receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], people))).upload
    now = timezone.now()
    bulk.upload_plan(upload_id=upload.pk, now=now)
    for chunk in BulkChunk.objects.filter(upload=upload):
        bulk.chunk_process(chunk_id=chunk.pk, now=now)
    result = declaration_submit(
        actor=w["a_actor"],
        enterprise_id=w["a"].pk,
        period=PERIOD,
        lines=[LineInput(people[0].national_number, "employee", "100.00", "1")],
        replace=False,
        channel="form",
        now=now,
    )
    assert result.accepted
    bulk.upload_finalize(upload_id=upload.pk, now=now)

    upload.refresh_from_db()
    assert upload.status == UploadStatus.REJECTED
    assert list(BulkAnomaly.objects.values_list("code", "period")) == [("period_declared", PERIOD)]
    assert list(Declaration.objects.values_list("channel", "line_count")) == [("form", 1)]


# --- Exactly once ------------------------------------------------------------------------------


def test_every_step_run_twice_does_its_work_once_and_the_uploader_is_told_once(w):
    upload = receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]))).upload
    now = timezone.now()
    assert bulk.upload_plan(upload_id=upload.pk, now=now) is True
    assert bulk.upload_plan(upload_id=upload.pk, now=now) is False
    [chunk] = BulkChunk.objects.filter(upload=upload)
    assert bulk.upload_finalize(upload_id=upload.pk, now=now) is False  # a chunk is pending
    assert bulk.chunk_process(chunk_id=chunk.pk, now=now) is True
    assert bulk.chunk_process(chunk_id=chunk.pk, now=now) is False
    assert bulk.upload_finalize(upload_id=upload.pk, now=now) is True
    assert bulk.upload_finalize(upload_id=upload.pk, now=now) is False

    assert DeclarationLine.objects.count() == 3 and LedgerEntry.objects.count() == 1
    notices = Notification.objects.filter(event_type="bulk_upload_processed")
    assert [n.recipient_id for n in notices] == [w["bureau_user"].pk]


def test_the_reconciler_queues_again_only_what_is_unfinished_and_waiting(w):
    upload = receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]))).upload
    now = timezone.now()
    assert bulk.uploads_reconcile(now=now) == 0  # just queued: its message is on its way

    later = now + datetime.timedelta(minutes=2)
    assert bulk.uploads_reconcile(now=later) == 1
    bulk.upload_plan(upload_id=upload.pk, now=later)
    [chunk] = BulkChunk.objects.filter(upload=upload)
    assert bulk.uploads_reconcile(now=later + datetime.timedelta(minutes=2)) == 1
    bulk.chunk_process(chunk_id=chunk.pk, now=later)
    assert bulk.uploads_reconcile(now=later + datetime.timedelta(minutes=4)) == 1  # the finalization
    bulk.upload_finalize(upload_id=upload.pk, now=later)
    assert bulk.uploads_reconcile(now=later + datetime.timedelta(minutes=6)) == 0


def test_the_reconciler_queues_at_once_the_chunks_a_dead_worker_left(w, settings):
    """Taken and no longer locked (its worker died mid-chunk), or never taken while the queue
    moved past it (its worker died holding its message): queued again once CLAIM_GRACE passed,
    not BULK_REQUEUE_AFTER_SECONDS."""
    settings.BULK_CHUNK_LINES = 1
    settings.BULK_REQUEUE_AFTER_SECONDS = 60
    rows = rows_for(w["a"], w["staff"][w["a"].pk])
    upload = receive(w["bureau_actor"], csv_bytes(rows)).upload
    now = timezone.now()
    bulk.upload_plan(upload_id=upload.pk, now=now)
    first, second, third = BulkChunk.objects.filter(upload=upload).order_by("pk")
    # The worker took the second chunk and died in it; the first one's message died with it.
    BulkChunk.objects.filter(pk=second.pk).update(started_at=now + datetime.timedelta(seconds=1))
    assert bulk.uploads_reconcile(now=now + datetime.timedelta(seconds=5)) == 0  # maybe taking its lock

    requeued = now + datetime.timedelta(seconds=7)
    assert bulk.uploads_reconcile(now=requeued) == 2
    assert list(BulkChunk.objects.filter(upload=upload).order_by("pk").values_list("queued_at", flat=True)) == [
        requeued,
        requeued,
        now,  # still waiting in the queue, behind the one taken
    ]
    # Once: not again at every pass while their new messages wait.
    assert bulk.uploads_reconcile(now=requeued + datetime.timedelta(seconds=15)) == 0
    for chunk in (first, second, third):
        assert bulk.chunk_process(chunk_id=chunk.pk, now=requeued) is True
    assert DeclarationLine.objects.filter(declaration__bulk_upload=upload).count() == len(rows)


# --- The report, and who may read it ----------------------------------------------------------


def test_the_anomaly_report_is_in_the_users_language_and_neutralises_formulas(w):
    rows = rows_for(w["a"], w["staff"][w["a"].pk])
    rows[0][0] = '=HYPERLINK("http://evil")'
    rows[1][1] = "+2026-10"
    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)
    from django.utils import translation

    with translation.override("fr"):
        report = list(csv.reader(io.StringIO("".join(bulk.anomalies_csv(upload=upload)).lstrip("\ufeff"))))

    assert report[0] == ["Ligne", "Colonne", "Numéro d’employeur", "Période", "Gravité", "Code", "Message"]
    by_line = {row[0]: row for row in report[1:]}
    assert by_line["2"][2].startswith("'=") and by_line["2"][5] == "employer_number_invalid"
    assert by_line["3"][3] == "'+2026-10" and by_line["3"][5] == "period_format"
    assert by_line["2"][4] == "erreur bloquante"
    assert "employeur" in by_line["2"][6]


def test_nobody_reads_another_ones_upload(w):
    upload = receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]))).upload

    assert bulk.upload_get(actor=w["bureau_actor"], upload_id=upload.pk) == upload
    for other in (w["a_actor"], citizen_actor(UserFactory())):
        with pytest.raises(NotFound):
            bulk.upload_get(actor=other, upload_id=upload.pk)
        assert bulk.upload_list(actor=other) == []
    with pytest.raises(NotFound):
        bulk.upload_get(actor=w["bureau_actor"], upload_id=upload.pk + 1000)


def test_a_file_of_blank_lines_beyond_what_is_sniffed_on_arrival_is_rejected_as_having_no_line(w):
    content = csv_bytes([]) + b"\n" * 70_000  # more blank lines than the first 64 KiB read on arrival
    upload = process(receive(w["bureau_actor"], content).upload)

    assert (upload.status, upload.lines_total, upload.declarations) == (UploadStatus.REJECTED, 0, 0)
    assert list(BulkAnomaly.objects.values_list("line_number", "code", "severity")) == [(None, "no_lines", "error")]


# --- A reported problem follows the file that corrects it -----------------------------------------


def test_a_case_waiting_for_the_employer_follows_the_file_that_declares_the_month(w):
    """Staff asked employer A to correct PERIOD for one employee, and B another month; the
    bureau's file declaring A brings A's month into force: A's case comes back to staff with that
    declaration, B's stays waiting, and the person is told once."""
    employee = w["staff"][w["a"].pk][0]
    other = w["staff"][w["b"].pk][0]
    owner, other_owner = UserFactory(person=employee), UserFactory(person=other)
    staff = staff_actor(UserFactory(is_staff=True))
    cases = {}
    for key, user, enterprise, period in (
        ("a", owner, w["a"], PERIOD),
        ("b-other-month", other_owner, w["b"], "2026-11"),
    ):
        cases[key] = discrepancy_report(
            actor=citizen_actor(user),
            person_id=user.person_id,
            enterprise_id=enterprise.pk,
            period=period,
            message="Not declared.",
            now=NOW,
        )
        discrepancy_decide(
            actor=staff,
            report_id=cases[key],
            seen_status="open",
            outcome="employer_asked",
            reason="Declare it.",
            now=NOW,
        )
    rows = rows_for(w["a"], w["staff"][w["a"].pk])

    upload = process(receive(w["bureau_actor"], csv_bytes(rows)).upload)
    assert upload.status == UploadStatus.ACCEPTED
    process(upload)  # a worker running the file again changes nothing

    a_case = DiscrepancyReport.objects.get(pk=cases["a"])
    assert a_case.status == "correction_received"
    [step] = a_case.steps.filter(kind="correction_received")
    assert step.declaration_id == Declaration.objects.get(enterprise=w["a"], period=PERIOD, status="in_force").pk
    assert DiscrepancyReport.objects.get(pk=cases["b-other-month"]).status == "awaiting_employer"
    told = Notification.objects.filter(event_type="discrepancy_correction_received")
    assert [n.recipient_id for n in told] == [owner.pk]


@pytest.mark.parametrize(
    ("separator", "wage"),
    [
        (",", "1e3"),
        (",", "1_000.00"),
        (",", "１０００.００"),
        (",", "١٠٠٠"),
        (",", "+5.00"),
        (",", ".5"),
        (",", "5."),
        (";", "1.000,50"),
        (";", "1e3"),
    ],
)
def test_an_amount_in_another_notation_is_an_error_of_its_line_in_a_file(w, separator, wage):
    people = w["staff"][w["a"].pk]
    rows = rows_for(w["a"], people)
    rows[1][6] = wage
    upload = process(receive(w["bureau_actor"], csv_bytes(rows, separator=separator)).upload)

    assert upload.status == UploadStatus.REJECTED
    assert list(BulkAnomaly.objects.values_list("line_number", "field", "code")) == [(3, "gross_wage", "wage_invalid")]
    assert not Declaration.objects.filter(status="in_force").exists()
