"""Send an information message from the institution to every active account (or a staff group).

Example: manage.py send_service_notice --title-fr "Maintenance samedi" --title-en "Maintenance on Saturday"
         --body-fr "Le portail sera indisponible de 6 h à 8 h." --body-en "The portal will be down from 6 to 8 am."
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from identity.selectors import active_user_id_chunks, user_ids_in_staff_group
from notifications.services import notify
from notifications.types import Recipient


class Command(BaseCommand):
    help = "Send an information message (French and English) to every active account's inbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--title-fr", required=True)
        parser.add_argument("--title-en", required=True)
        parser.add_argument("--body-fr", required=True)
        parser.add_argument("--body-en", required=True)
        parser.add_argument("--staff-group", help="only the staff of this group")

    def handle(self, *args: Any, **options: Any) -> None:
        def recipients() -> Iterator[Recipient]:
            if options["staff_group"]:
                yield from (
                    Recipient(user_id) for user_id in user_ids_in_staff_group(group_name=options["staff_group"])
                )
                return
            for chunk in active_user_id_chunks():
                yield from (Recipient(user_id) for user_id in chunk)

        count = notify(
            recipients=recipients(),
            event="service_notice",
            context={key: options[key] for key in ("title_fr", "title_en", "body_fr", "body_en")},
            now=timezone.now(),
            link="/inbox/",
        )
        self.stdout.write(f"{count} notifications stored")
