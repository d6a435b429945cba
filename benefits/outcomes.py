"""The measured outcomes of proactive attribution, per benefit, over a span of days (for the
back office's indicators): the share of the entitlements opened that were proposed; the time from
the event received to the proposal, to its verification and to the first payment (median and
90th percentile, in hours); the share paid in the run of the month the right opened (the first
month due paid on that month's payment day).

Aggregates only, in three queries whatever the volume, naming no one."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection

from benefits.types import AttributionOutcome

_OPENED = """
SELECT e.scheme, count(*) AS opened, count(p.id) AS proposed
FROM benefits_entitlement e
LEFT JOIN benefits_proposal p ON p.entitlement_id = e.id
WHERE e.opened_at >= %(since)s
GROUP BY e.scheme
"""

_DELAYS = """
SELECT p.scheme,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM p.created_at - ev.received_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM p.created_at - ev.received_at)),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM p.verified_at - ev.received_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM p.verified_at - ev.received_at))
FROM benefits_proposal p
JOIN benefits_lifeevent ev ON ev.id = p.event_id
WHERE p.created_at >= %(since)s
GROUP BY p.scheme
"""

# The first payment of each entitlement a proposal opened: when its run paid it, and whether it
# was the run of the month the right opened.
_PAID = """
WITH first AS (
    SELECT DISTINCT ON (pay.entitlement_id) pay.entitlement_id, run.pay_on, run.period
    FROM benefits_payment pay
    JOIN benefits_paymentrun run ON run.id = pay.run_id
    WHERE pay.status IN ('pending', 'paid') AND run.status = 'exported'
      AND pay.entitlement_id IN (SELECT entitlement_id FROM benefits_proposal
                                 WHERE entitlement_id IS NOT NULL AND created_at >= %(since)s)
    ORDER BY pay.entitlement_id, run.period
)
SELECT p.scheme,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first.pay_on::timestamptz - ev.received_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first.pay_on::timestamptz - ev.received_at)),
       count(*) FILTER (WHERE first.period = date_trunc('month', e.start_on)::date),
       count(*)
FROM benefits_proposal p
JOIN benefits_entitlement e ON e.id = p.entitlement_id
JOIN first ON first.entitlement_id = p.entitlement_id
LEFT JOIN benefits_lifeevent ev ON ev.id = p.event_id
WHERE p.created_at >= %(since)s
GROUP BY p.scheme
"""


def _hours(seconds: float | None) -> Decimal | None:
    return None if seconds is None else (Decimal(str(seconds)) / 3600).quantize(Decimal("0.1"))


def attribution_outcomes(*, since: datetime.datetime) -> list[AttributionOutcome]:
    """Per benefit, over what opened or was proposed since ``since``."""
    with connection.cursor() as cursor:
        cursor.execute(_OPENED, {"since": since})
        opened = {scheme: (count, proposed) for scheme, count, proposed in cursor.fetchall()}
        cursor.execute(_DELAYS, {"since": since})
        delays = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(_PAID, {"since": since})
        paid = {row[0]: row[1:] for row in cursor.fetchall()}
    outcomes = []
    for scheme in sorted(set(opened) | set(delays) | set(paid)):
        count, proposed = opened.get(scheme, (0, 0))
        proposal = delays.get(scheme, (None, None, None, None))
        payment = paid.get(scheme, (None, None, 0, 0))
        outcomes.append(
            AttributionOutcome(
                scheme=scheme,
                opened=count,
                opened_proactively=proposed,
                hours_to_proposal=(_hours(proposal[0]), _hours(proposal[1])),
                hours_to_verification=(_hours(proposal[2]), _hours(proposal[3])),
                hours_to_payment=(_hours(payment[0]), _hours(payment[1])),
                paid=payment[3],
                paid_in_the_month_opened=payment[2],
            )
        )
    return outcomes
