"""The events the contributions app tells people about, registered with notifications in
``ContributionsConfig.ready()``. Their templates are in
``templates/contributions/notifications/<event>/`` (the parts are described on
:class:`notifications.types.EventType`)."""

from __future__ import annotations

from notifications.types import Category, EventType

TEMPLATE_FOLDER = "contributions/notifications"

CONTRIBUTIONS_EVENT_TYPES = (
    # To the enterprise's representatives: a monthly declaration is late (reminders.py).
    EventType("declaration_missing", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    # To the enterprise's representatives: an employee reports a problem (discrepancies.py).
    EventType("discrepancy_reported", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    # To the enterprise's representatives: staff ask them to correct a reported month.
    EventType("discrepancy_correction_requested", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    # To the person who reported, and to those whose mandate lets them view the file: staff
    # decided (employer asked, corrected, not founded), or the employer sent the correction. In
    # the inbox; by e-mail too for those who chose it for the institution's information.
    EventType("discrepancy_answered", Category.INFORMATION, template_folder=TEMPLATE_FOLDER, default_email=False),
    EventType(
        "discrepancy_correction_received",
        Category.INFORMATION,
        template_folder=TEMPLATE_FOLDER,
        default_email=False,
    ),
    # To whoever sent a declaration file: it was processed (bulk/finalize.py).
    EventType("bulk_upload_processed", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    # To the enterprise's administrators and declarants, each of their own enterprise's news
    # (notices.py): a monthly declaration came into force (form, API, file) or was rejected (API,
    # or the enterprise's lines of a file); a payment was credited (online, bank transfer); a
    # penalty or late-payment interest was posted (or the interest corrected).
    EventType("declaration_accepted", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    EventType("declaration_rejected", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    EventType("payment_received", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    EventType("penalty_posted", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    EventType("interest_posted", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    # To the person, and to the proxy who asked for it: a contribution statement is ready, or could
    # not be made (statements/rendering.py).
    EventType("contribution_statement_processed", Category.DOCUMENTS, template_folder=TEMPLATE_FOLDER),
)
