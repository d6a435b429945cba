"""Reminders of missing monthly declarations.

The declaration of a period is due on ``DECLARATION_DUE_DAY`` of the following month. Once that
day has passed, every enterprise that employed someone during the period and has no declaration
in force for it is reminded, once: a ``DeclarationReminder`` row per enterprise and period, under
a unique constraint, is written in the same transaction as the notifications, and only the rows
this run inserted are told and charged the late-filing penalty (``LATE_FILING_PENALTY``). A
second run, or two runs at once, tell and charge no one twice.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from contributions import ledger
from contributions.ledger import declaration_due_date
from contributions.models import DeclarationReminder
from contributions.reads import enterprises_without_declaration
from core.periods import Period
from identity.selectors import enterprise_summaries
from identity.types import EnterpriseRole
from notifications.selectors import recipients_for_enterprises
from notifications.services import notify_many
from notifications.types import Notice

# Who files the declarations: viewers only consult the enterprise's file (the same people are
# told of their declarations and their account: notices.ROLES_TOLD).
REMINDED_ROLES = (EnterpriseRole.ADMINISTRATOR.value, EnterpriseRole.DECLARANT.value)


def overdue_period(*, today: datetime.date, due_day: int) -> Period:
    """The latest period whose due date has passed on ``today`` (the due day itself is not late)."""
    last_month = Period.of(today).previous()
    return last_month if today > declaration_due_date(period=last_month, due_day=due_day) else last_month.previous()


def declarations_remind_missing(*, now: datetime.datetime) -> int:
    """Remind the enterprises whose declaration of the latest overdue period is missing, and
    charge them the late-filing penalty (whose own message tells what to pay); returns how many
    were reminded by this run. A constant number of queries whatever their number: to find and
    record them, to read their representatives, and to tell them."""
    due_day = settings.DECLARATION_DUE_DAY
    period = overdue_period(today=timezone.localdate(now), due_day=due_day)
    due_on = declaration_due_date(period=period, due_day=due_day)
    with transaction.atomic():
        reminded = _reminders_insert(
            enterprise_ids=enterprises_without_declaration(period=period), period=period, now=now
        )
        summaries = enterprise_summaries(enterprise_ids=reminded)
        names = {summary.id: summary.name for summary in summaries}
        # The late-filing penalty, once per enterprise and period, with the reminder.
        ledger.penalties_post(
            enterprises={summary.id: summary.enterprise_number for summary in summaries},
            period=period,
            amount=Decimal(settings.LATE_FILING_PENALTY),
            now=now,
        )
        recipients = recipients_for_enterprises(enterprise_ids=reminded, roles=REMINDED_ROLES)
        notify_many(
            event="declaration_missing",
            notices=(
                Notice(
                    recipients=tuple(recipients[enterprise_id]),
                    context={
                        "enterprise_name": names.get(enterprise_id, ""),
                        "period": str(period),
                        "due_date": due_on.isoformat(),
                    },
                    link=f"{reverse('contributions:declarations', args=[enterprise_id])}?period={period}",
                )
                for enterprise_id in reminded
                if recipients.get(enterprise_id)
            ),
            now=now,
        )
    return len(reminded)


def _reminders_insert(*, enterprise_ids: list[int], period: Period, now: datetime.datetime) -> list[int]:
    """Insert the reminders in one statement and return the enterprises whose row this call
    inserted. ``bulk_create(ignore_conflicts=True)`` cannot say which rows it skipped; RETURNING
    does, so a reminder inserted by a concurrent run (it waits for that run's commit) is not told
    twice."""
    if not enterprise_ids:
        return []
    table = connection.ops.quote_name(DeclarationReminder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (enterprise_id, period, sent_at) "
            "SELECT unnest(%s::bigint[]), %s, %s "
            "ON CONFLICT (enterprise_id, period) DO NOTHING RETURNING enterprise_id",
            [enterprise_ids, str(period), now],
        )
        return sorted(row[0] for row in cursor.fetchall())
