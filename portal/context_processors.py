from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from notifications.selectors import unread_count


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "unread_count": unread_count(user_id=user.pk) if user is not None and user.is_authenticated else 0,
        "actor": getattr(request, "actor", None),
        "support_phone": settings.SUPPORT_PHONE,
        "support_hours": settings.SUPPORT_HOURS,
    }
