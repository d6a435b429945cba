"""Every event type renders every part it has, in French and in English."""

from pathlib import Path

import pytest
from django.template.loader import get_template

from notifications.events import EVENT_TYPES
from notifications.services import render_part

CONTEXT = {
    "enterprise_name": "Boulangerie & Fils",
    "role": "declarant",
    "code": "123456",
    "title_fr": "Titre",
    "title_en": "Title",
    "body_fr": "Corps",
    "body_en": "Body",
    "file_name": "paie-novembre.csv",
    "accepted": True,
    "lines": 3,
    "errors": 0,
    "warnings": 2,
    "declarations": 1,
    "ready": True,
    "year_from": 2025,
    "year_to": 2027,
    "kept_days": 30,
    "period": "2026-10",
    "version": 2,
    "reference": "D202610-0A1B2C3D4E",
    "channel": "file",
    "total": "1234.50",
    "change": "more",
    "difference": "12.00",
    "payment_reference": "RF18539007547034",
    "due_date": "2026-11-15",
    "account_link": "/enterprises/1/account/",
    "bureau_name": "Fiduciaire & Associés",
    "error_count": 3,
    "reasons": [{"code": "person_unknown", "line": 4, "others": 1}, {"code": "no_lines", "line": None, "others": 0}],
    "more_reasons": True,
    "replacement": False,
    "overdue": True,
    "amount": "1234.50",
    "date": "2026-11-20",
    "method": "transfer",
    "paid": [{"kind": "declaration", "period": "2026-10", "amount": "1000.00"}],
    "more_paid": True,
    "left": "234.50",
    "month": "2026-10",
    "rate": "7",
    "corrections": [{"period": "2026-09", "amount": "2.10", "lower": True}],
}


@pytest.mark.parametrize("event", sorted(EVENT_TYPES))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_part_of_every_event_renders(event, language):
    kind = EVENT_TYPES[event]
    # The folder of the event's templates, in the app that owns the event.
    folder = Path(get_template(f"{kind.template_dir}/subject.txt").origin.name).parent
    parts = sorted(path.name for path in folder.iterdir())
    assert "subject.txt" in parts
    if kind.in_inbox:
        assert {"body.html", "email_subject.txt", "email.txt", "email.html", "sms.txt"} <= set(parts)
    for part in parts:
        text = render_part(event=event, part=part, context=CONTEXT, language=language, link="/inbox/")
        assert text, (event, part)
        if part.endswith(".txt"):
            assert "&amp;" not in text  # plain text is not HTML-escaped
