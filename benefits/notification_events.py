"""The events the benefits app tells people about, registered with notifications in
``BenefitsConfig.ready()``. Their templates are in ``templates/benefits/notifications/<event>/``;
each message about a claim goes to the claimant and to the proxies whose mandate covers their
claims (``benefits.claims.filing.tell_claimant``)."""

from __future__ import annotations

from notifications.types import Category, EventType, Importance

TEMPLATE_FOLDER = "benefits/notifications"

BENEFITS_EVENT_TYPES = (
    # The claim (or the appeal) is filed: its reference and when a decision is due.
    EventType("claim_received", Category.BENEFITS, template_folder=TEMPLATE_FOLDER),
    EventType("claim_appeal_received", Category.BENEFITS, template_folder=TEMPLATE_FOLDER),
    # The case worker asks for information by a date, or writes.
    EventType("claim_information_requested", Category.BENEFITS, template_folder=TEMPLATE_FOLDER),
    EventType("claim_message", Category.BENEFITS, template_folder=TEMPLATE_FOLDER),
    # A decision (on the claim, or on its appeal): a legal notice, by e-mail whatever the choices.
    EventType("claim_decided", Category.BENEFITS, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL),
    # To the case worker assigned: the claimant wrote, answered or withdrew.
    EventType("claim_claimant_wrote", Category.BENEFITS, template_folder=TEMPLATE_FOLDER, default_email=False),
    # The bank returned a payment: check the account (the person and who manages it for them).
    EventType("payment_rejected", Category.BENEFITS, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL),
    # A case worker suspends a benefit in payment, or lifts the suspension: decisions.
    EventType("benefit_suspended", Category.BENEFITS, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL),
    EventType("benefit_resumed", Category.BENEFITS, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL),
    # The yearly life certificate of a pensioner living abroad: asked, reminded at 30 and 60
    # days, the pension suspended when the due day passed (a decision); a certificate refused
    # by staff; the year confirmed (and the pension resumed).
    EventType(
        "life_certificate_asked", Category.BENEFITS, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL
    ),
    EventType(
        "life_certificate_reminder", Category.BENEFITS, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL
    ),
    EventType(
        "life_certificate_suspended", Category.BENEFITS, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL
    ),
    EventType("life_certificate_refused", Category.BENEFITS, template_folder=TEMPLATE_FOLDER),
    EventType("life_certificate_confirmed", Category.BENEFITS, template_folder=TEMPLATE_FOLDER),
    # A benefit proposed without an application (a birth, a marriage, a death, the pension age):
    # what it pays, from when, and what is needed (to accept it, a bank account on file).
    EventType("benefit_proposed", Category.BENEFITS, template_folder=TEMPLATE_FOLDER),
)
