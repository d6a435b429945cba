"""The lock of an enterprise's period is one lock for every channel: a declaration by form (or
API) and a bulk file's finalization wait for each other, whichever comes first."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contributions import bulk
from contributions.declarations import declaration_submit
from contributions.models import BulkAnomaly, BulkChunk, BulkUpload, Declaration, UploadStatus
from contributions.types import LineInput
from core.locks import LockNamespace
from tests.concurrency import InAnotherSession, advisory_locks_of, stored_key, wait_until_waiting
from tests.contributions.bulk_helpers import NOW, PERIOD, csv_bytes, receive, rows_for

# The bulk world hires on fixed 2026 dates and files declare 2026-10: on its day.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("bulk_storage"),
    pytest.mark.time_machine(NOW, tick=False),
]


def _file_ready_to_finalize(w):
    """A file declaring A's period, every chunk done: only its finalization is left."""
    upload = receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]))).upload
    now = timezone.now()
    bulk.upload_plan(upload_id=upload.pk, now=now)
    for chunk in BulkChunk.objects.filter(upload=upload):
        bulk.chunk_process(chunk_id=chunk.pk, now=now)
    return upload


def _form_declares(w, *, replace=False):
    return declaration_submit(
        actor=w["a_actor"],
        enterprise_id=w["a"].pk,
        period=PERIOD,
        lines=[LineInput(w["staff"][w["a"].pk][0].national_number, "employee", "100.00", "1")],
        replace=replace,
        channel="form",
        now=timezone.now(),
    )


def _period_lock(w):
    return (LockNamespace.DECLARATION_PERIOD, stored_key(f"{w['a'].pk}:{PERIOD}"))


def test_a_file_waits_for_the_form_that_holds_the_period_then_finds_it_declared(w):
    upload = _file_ready_to_finalize(w)
    form = InAnotherSession(lambda: _form_declares(w), hold=True).start()
    try:
        assert form.wait_done().result.accepted
        assert (*_period_lock(w), True) in advisory_locks_of(form.pid)

        finalizing = InAnotherSession(lambda: bulk.upload_finalize(upload_id=upload.pk, now=timezone.now())).start()
        assert wait_until_waiting(finalizing) == _period_lock(w)
        assert BulkUpload.objects.get(pk=upload.pk).status == UploadStatus.PROCESSING
    finally:
        form.join()
    assert finalizing.join() is True

    upload.refresh_from_db()
    assert upload.status == UploadStatus.REJECTED
    assert list(BulkAnomaly.objects.values_list("code", "period")) == [("period_declared", PERIOD)]
    assert list(Declaration.objects.values_list("channel", "status", "line_count")) == [("form", "in_force", 1)]


def test_the_form_waits_for_the_file_that_holds_the_period_then_finds_it_declared(w):
    upload = _file_ready_to_finalize(w)
    finalizing = InAnotherSession(
        lambda: bulk.upload_finalize(upload_id=upload.pk, now=timezone.now()), hold=True
    ).start()
    try:
        assert finalizing.wait_done().result is True
        assert (*_period_lock(w), True) in advisory_locks_of(finalizing.pid)

        form = InAnotherSession(lambda: _form_declares(w)).start()
        assert wait_until_waiting(form) == _period_lock(w)
        assert not Declaration.objects.filter(status="in_force").exists()
    finally:
        finalizing.join()
    result = form.join()

    assert not result.accepted
    assert [(a.code, a.field) for a in result.anomalies] == [("period_declared", "period")]
    assert list(Declaration.objects.values_list("channel", "status", "line_count")) == [("file", "in_force", 3)]


def test_a_replacement_by_form_waits_for_the_file_then_replaces_what_it_brought_into_force(w):
    upload = _file_ready_to_finalize(w)
    finalizing = InAnotherSession(
        lambda: bulk.upload_finalize(upload_id=upload.pk, now=timezone.now()), hold=True
    ).start()
    try:
        finalizing.wait_done()
        form = InAnotherSession(lambda: _form_declares(w, replace=True)).start()
        assert wait_until_waiting(form) == _period_lock(w)
    finally:
        finalizing.join()
    assert form.join().accepted

    assert sorted(Declaration.objects.values_list("version", "channel", "status")) == [
        (1, "file", "replaced"),
        (2, "form", "in_force"),
    ]
