"""Template helpers of the contributions app's messages: an anomaly's code in the reader's words."""

from __future__ import annotations

from django import template

from contributions.types import ANOMALY_MESSAGES

register = template.Library()


@register.filter
def anomaly_message(code: str) -> str:
    """What an anomaly code (kept in a message's context, so that it is read in the reader's
    language, whenever it is read) means, in plain words; an unknown code is shown as it is."""
    message = ANOMALY_MESSAGES.get(code)
    return str(message) if message is not None else str(code)
