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
