"""What the benefits app offers other apps for changes (the demo seeding, the back office of
other apps): filing and following a claim, and the case work on it (``benefits.claims``); the
indexation of the benefits in payment, the monthly payment runs, their bank files and the bank's
answers, staff suspensions (``benefits.payments``); the life certificates of pensioners abroad
(``benefits.life``); the civil registry's partners and the life events they send, or that staff
import from a batch file in a partner's name (``benefits.attribution``). See the functions' docstrings."""

from __future__ import annotations

from benefits.attribution.batch import events_file_import as life_events_file_import
from benefits.attribution.dry_runs import (
    dry_run_perform as attribution_dry_run_perform,
)
from benefits.attribution.dry_runs import (
    dry_run_request as attribution_dry_run_request,
)
from benefits.attribution.dry_runs import (
    dry_run_result as attribution_dry_run_result,
)
from benefits.attribution.dry_runs import (
    dry_runs_of as attribution_dry_runs_of,
)
from benefits.attribution.dry_runs import (
    dry_runs_reconcile as attribution_dry_runs_reconcile,
)
from benefits.attribution.events import EventInput
from benefits.attribution.events import event_apply as life_event_apply
from benefits.attribution.events import event_retry as life_event_retry
from benefits.attribution.events import events_apply as life_events_apply
from benefits.attribution.events import events_receive as life_events_receive
from benefits.attribution.events import events_to_apply as life_events_to_apply
from benefits.attribution.events import events_waiting_release as life_events_waiting_release
from benefits.attribution.partners import (
    partner_authenticate,
    partner_create,
    partner_requests_purge,
    partner_revoke,
)
from benefits.attribution.partners import (
    request_check as partner_request_check,
)
from benefits.attribution.proposals import event_propose as life_event_propose
from benefits.attribution.proposals import events_propose_all as life_events_propose_all
from benefits.attribution.proposals import events_to_propose as life_events_to_propose
from benefits.attribution.proposals import (
    person_proposals_reevaluate,
    proposal_accept,
    proposal_decline,
    proposal_dispute,
    proposal_verify,
    proposals_reevaluate_about,
    proposals_reevaluate_changed,
)
from benefits.attribution.rules import rule_set as attribution_rule_set
from benefits.attribution.scan import pension_age_dry_run, pension_age_scan
from benefits.attribution.together import events_dry_run as life_events_dry_run
from benefits.attribution.together import rule_dry_run as attribution_rule_dry_run
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
from benefits.life.answers import certificate_review as life_certificate_review
from benefits.life.answers import certificate_send as life_certificate_send
from benefits.life.campaign import life_certificates_follow
from benefits.life.checks import check_callback as life_check_callback
from benefits.life.checks import check_return as life_check_return
from benefits.life.checks import check_start as life_check_start
from benefits.life.checks import checks_reconcile as life_checks_reconcile
from benefits.life.letters import life_letters_pdf, life_letters_print, life_letters_printed
from benefits.payments.amounts import indexation_apply
from benefits.payments.bank import answer_import as bank_answer_import
from benefits.payments.bank import file_write as payment_file_write
from benefits.payments.bank import files_to_write as payment_files_to_write
from benefits.payments.deaths import deaths_apply
from benefits.payments.runs import run_approve as payment_run_approve
from benefits.payments.runs import run_prepare as payment_run_prepare
from benefits.payments.runs import run_submit as payment_run_submit
from benefits.payments.statements import payment_statement_issue
from benefits.payments.suspensions import entitlement_resume, entitlement_suspend

__all__ = [
    "EventInput",
    "attribution_dry_run_perform",
    "attribution_dry_run_request",
    "attribution_dry_run_result",
    "attribution_dry_runs_of",
    "attribution_dry_runs_reconcile",
    "attribution_rule_dry_run",
    "attribution_rule_set",
    "bank_answer_import",
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
    "deaths_apply",
    "entitlement_resume",
    "entitlement_suspend",
    "indexation_apply",
    "life_certificate_review",
    "life_certificate_send",
    "life_certificates_follow",
    "life_check_callback",
    "life_check_return",
    "life_check_start",
    "life_checks_reconcile",
    "life_event_apply",
    "life_event_propose",
    "life_event_retry",
    "life_events_apply",
    "life_events_dry_run",
    "life_events_file_import",
    "life_events_propose_all",
    "life_events_receive",
    "life_events_to_apply",
    "life_events_to_propose",
    "life_events_waiting_release",
    "life_letters_pdf",
    "life_letters_print",
    "life_letters_printed",
    "partner_authenticate",
    "partner_create",
    "partner_request_check",
    "partner_requests_purge",
    "partner_revoke",
    "payment_file_write",
    "payment_files_to_write",
    "payment_run_approve",
    "payment_run_prepare",
    "payment_run_submit",
    "payment_statement_issue",
    "pension_age_dry_run",
    "pension_age_scan",
    "person_proposals_reevaluate",
    "proposal_accept",
    "proposal_decline",
    "proposal_dispute",
    "proposal_verify",
    "proposals_reevaluate_about",
    "proposals_reevaluate_changed",
]
