"""The events the mandates app tells people about, registered with notifications in
``MandatesConfig.ready()``. Their templates are in ``templates/mandates/notifications/<event>/``
(the parts are described on :class:`notifications.types.EventType`)."""

from __future__ import annotations

from notifications.types import Category, EventType, Importance

TEMPLATE_FOLDER = "mandates/notifications"

MANDATES_EVENT_TYPES = (
    EventType("mandate_offered", Category.MANDATES, template_folder=TEMPLATE_FOLDER),
    EventType("mandate_requested", Category.MANDATES, template_folder=TEMPLATE_FOLDER),
    EventType("mandate_accepted", Category.MANDATES, template_folder=TEMPLATE_FOLDER),
    EventType("mandate_declined", Category.MANDATES, template_folder=TEMPLATE_FOLDER),
    EventType("mandate_revoked", Category.MANDATES, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL),
    EventType("mandate_changed", Category.MANDATES, template_folder=TEMPLATE_FOLDER),
    EventType("mandate_ending", Category.MANDATES, template_folder=TEMPLATE_FOLDER),
    EventType("mandate_ended", Category.MANDATES, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL),
)
