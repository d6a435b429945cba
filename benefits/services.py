"""What the benefits app offers other apps for changes (the demo seeding, the back office of
other apps): filing and following a claim, and the case work on it. The functions live in
``benefits.claims``; see their docstrings."""

from __future__ import annotations

from benefits.claims.casework import (
    claim_appeal_propose,
    claim_assign,
    claim_decision_propose,
    claim_information_request,
    claim_input_correct,
    claim_proposal_approve,
    claim_proposal_return,
    claim_review_start,
    claim_staff_message,
)
from benefits.claims.filing import (
    claim_about_save,
    claim_appeal,
    claim_bank_save,
    claim_document_add,
    claim_document_remove,
    claim_documents_done,
    claim_information_provide,
    claim_message_send,
    claim_start,
    claim_submit,
    claim_withdraw,
)

__all__ = [
    "claim_about_save",
    "claim_appeal",
    "claim_appeal_propose",
    "claim_assign",
    "claim_bank_save",
    "claim_decision_propose",
    "claim_document_add",
    "claim_document_remove",
    "claim_documents_done",
    "claim_information_provide",
    "claim_information_request",
    "claim_input_correct",
    "claim_message_send",
    "claim_proposal_approve",
    "claim_proposal_return",
    "claim_review_start",
    "claim_staff_message",
    "claim_start",
    "claim_submit",
    "claim_withdraw",
]
