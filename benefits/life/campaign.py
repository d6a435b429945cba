"""The yearly campaign: every pensioner living abroad (a monthly benefit in payment, alive, an
address outside the institution's country) is asked for a life certificate, then reminded at 30
and 60 days; when the due day has passed unanswered, their monthly benefits are suspended, with a
legal notice. Each step is one set-based statement, safe to run again (a request per person and
year; conditional updates): the daily job runs them all."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from benefits.life.notices import tell
from benefits.models import LifeCertificateRequest, SuspensionReason
from benefits.payments.suspensions import payments_stop_unsent
from benefits.registry_table import PERSON_TABLE
from core.locks import LockNamespace, advisory_lock
from identity.country_profiles import country_profile

_PERSON = PERSON_TABLE
_REQUEST = LifeCertificateRequest._meta.db_table

# Alive, living abroad, with a monthly benefit in payment (or suspended) on the day; not asked
# this year, no earlier request still open (one cycle at a time) and none confirmed lately (a
# late answer to last year's counts for a while: the year is asked CONFIRMED_LATELY_DAYS after).
_ASK = f"""
INSERT INTO {_REQUEST} (id, person_id, year, reference, status, asked_at, due_on, by_post, letter_due,
                        reminders, confirmed_by)
SELECT asked.id, asked.person_id, %(year)s, 'CV-' || %(year)s || '-' || lpad(asked.id::text, greatest(6, length(asked.id::text)), '0'),
       'asked', %(now)s, %(due_on)s, false, false, 0, ''
FROM (
    SELECT nextval(pg_get_serial_sequence('{_REQUEST}', 'id')) AS id, abroad.person_id
    FROM (
        SELECT DISTINCT e.person_id
        FROM benefits_entitlement e JOIN {_PERSON} person ON person.id = e.person_id
        WHERE e.periodicity = 'monthly' AND e.ended_at IS NULL AND e.state IN ('active', 'suspended')
          AND e.start_on <= %(today)s AND (e.end_on IS NULL OR e.end_on >= %(today)s)
          AND person.death_date IS NULL AND person.country <> %(home)s
          AND NOT EXISTS (SELECT 1 FROM {_REQUEST} r WHERE r.person_id = e.person_id
                          AND (r.year = %(year)s OR r.status <> 'confirmed' OR r.confirmed_at >= %(recent)s))
        ORDER BY e.person_id
    ) abroad
) asked
ON CONFLICT (person_id, year) DO NOTHING
RETURNING id, person_id, reference, due_on
"""  # noqa: S608

# The reminders: the second before the first, so that a job that did not run for two months
# sends one reminder a day, never two at once.
_REMIND = f"""
UPDATE {_REQUEST} r SET reminders = %(number)s, reminded_at = %(now)s,
       letter_due = r.letter_due OR r.by_post
FROM {_PERSON} person
WHERE person.id = r.person_id AND person.death_date IS NULL
  AND r.status = 'asked' AND r.suspended_at IS NULL AND r.reminders = %(number)s - 1
  AND r.asked_at < %(asked_before)s AND r.due_on >= %(today)s
RETURNING r.id, r.person_id, r.reference, r.due_on
"""  # noqa: S608

# A monthly benefit in payment on the day, of the request's person.
_IN_PAYMENT = """
e.state = 'active' AND e.periodicity = 'monthly' AND e.ended_at IS NULL
AND e.start_on <= %(today)s AND (e.end_on IS NULL OR e.end_on >= %(today)s)
"""

# Past the due day unanswered, with a monthly benefit in payment or suspended by a case worker
# (lifting that suspension then leaves it suspended for the certificate).
_LAPSE = f"""
UPDATE {_REQUEST} r SET suspended_at = %(now)s, letter_due = r.letter_due OR r.by_post
FROM {_PERSON} person
WHERE person.id = r.person_id AND person.death_date IS NULL
  AND r.status = 'asked' AND r.suspended_at IS NULL AND r.due_on < %(today)s
  AND EXISTS (SELECT 1 FROM benefits_entitlement e WHERE e.person_id = r.person_id
              AND e.state IN ('active', 'suspended') AND e.periodicity = 'monthly' AND e.ended_at IS NULL
              AND e.start_on <= %(today)s AND (e.end_on IS NULL OR e.end_on >= %(today)s))
RETURNING r.id, r.person_id, r.reference, r.due_on
"""  # noqa: S608

# Every day, every benefit in payment of a person whose request lapsed and is still open: those
# of today's lapses, and those granted or resumed by a case worker since.
_SUSPEND = f"""
UPDATE benefits_entitlement e SET state = 'suspended', suspension_reason = %(reason)s, suspended_at = %(now)s
WHERE {_IN_PAYMENT}
  AND EXISTS (SELECT 1 FROM {_REQUEST} r WHERE r.person_id = e.person_id
              AND r.suspended_at IS NOT NULL AND r.status <> 'confirmed')
RETURNING e.id, e.person_id
"""  # noqa: S608

# The open lapsed requests of persons (to tell them a benefit was suspended again).
_LAPSED_OF = f"""
SELECT r.id, r.person_id, r.reference, r.due_on FROM {_REQUEST} r
WHERE r.person_id = ANY(%(person_ids)s) AND r.suspended_at IS NOT NULL AND r.status <> 'confirmed'
"""  # noqa: S608

Row = tuple[int, int, str, datetime.date]

# A life proved this recently (last year's request answered late) is not asked again yet.
CONFIRMED_LATELY_DAYS = 180


def _rows(sql: str, params: dict[str, Any]) -> list[Row]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(row[0]), int(row[1]), str(row[2]), row[3]) for row in cursor.fetchall()]


def life_certificates_ask(*, now: datetime.datetime) -> int:
    """The year's requests (from the campaign's month on), each told to the person and their
    proxies, or flagged for a letter. Returns how many were asked."""
    today = timezone.localdate(now)
    if today.month < settings.LIFE_CERTIFICATE_CAMPAIGN_MONTH:
        return 0
    with transaction.atomic():
        advisory_lock(LockNamespace.LIFE_CERTIFICATES, today.year)
        asked = _rows(
            _ASK,
            {
                "year": today.year,
                "now": now,
                "today": today,
                "due_on": today + datetime.timedelta(days=settings.LIFE_CERTIFICATE_GRACE_DAYS),
                "home": country_profile().code,
                "recent": now - datetime.timedelta(days=CONFIRMED_LATELY_DAYS),
            },
        )
        tell(event="life_certificate_asked", requests=asked, now=now)
    return len(asked)


def life_certificates_remind(*, now: datetime.datetime) -> int:
    """The reminders due (30 and 60 days after the request, counted in days). Returns how many
    were sent."""
    today = timezone.localdate(now)
    sent = 0
    first, second = settings.LIFE_CERTIFICATE_REMINDER_DAYS
    with transaction.atomic():
        for number, days in ((2, second), (1, first)):
            # Asked on the day ``days`` ago or before: before the start of the next day.
            asked_before = timezone.make_aware(
                datetime.datetime.combine(today - datetime.timedelta(days=days - 1), datetime.time.min)
            )
            reminded = _rows(_REMIND, {"number": number, "now": now, "today": today, "asked_before": asked_before})
            tell(event="life_certificate_reminder", requests=reminded, now=now)
            sent += len(reminded)
    return sent


def life_certificates_lapse(*, now: datetime.datetime) -> int:
    """The requests whose due day passed unanswered: the person's monthly benefits in payment are
    suspended, and a payment of them not yet in a written bank file is stopped, with a legal
    notice. Their months stay due: paid as arrears once the certificate is accepted. Checked
    every day for the open lapsed requests too (a benefit granted, or resumed by a case worker,
    since). Returns how many requests lapsed today."""
    today = timezone.localdate(now)
    with transaction.atomic():
        lapsed = _rows(_LAPSE, {"now": now, "today": today})
        with connection.cursor() as cursor:
            cursor.execute(_SUSPEND, {"reason": SuspensionReason.LIFE_CERTIFICATE, "now": now, "today": today})
            suspended = [(int(row[0]), int(row[1])) for row in cursor.fetchall()]
        payments_stop_unsent(entitlement_ids=[entitlement_id for entitlement_id, _person in suspended])
        told = {person_id for _id, person_id, _ref, _due in lapsed}
        again = sorted({person_id for _id, person_id in suspended} - told)
        tell(
            event="life_certificate_suspended",
            requests=lapsed + (_rows(_LAPSED_OF, {"person_ids": again}) if again else []),
            now=now,
        )
    return len(lapsed)


def life_certificates_follow(*, now: datetime.datetime) -> dict[str, int]:
    """The daily job: ask, remind, suspend."""
    return {
        "asked": life_certificates_ask(now=now),
        "reminded": life_certificates_remind(now=now),
        "suspended": life_certificates_lapse(now=now),
    }
