"""What the benefits app hands to pages and to other apps: frozen dataclasses, worded in the
reader's language when they are built (a page renders them as they are)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.periods import Period

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ParameterInForce:
    """A dated parameter of a scheme as in force on the first day of a month."""

    path: str
    label: str
    value: Decimal | int
    display: str  # "65 ans", "1 234,56 €", "1,5 %"
    since: datetime.date
    reference: str


@dataclass(frozen=True)
class SchemeInfo:
    """A scheme's public page: who is entitled and the amounts in force for ``month``."""

    code: str
    slug: str
    title: str
    summary: str
    month: Period
    who: tuple[str, ...]
    documents: tuple[str, ...]
    decision_days: int
    periodicity: str
    monthly: bool
    legal_basis: str
    parameters: tuple[ParameterInForce, ...]
    # "in_force", "not_yet" (before its first day) or "ended" (after its last, for a scheme
    # composed for a while); a composed scheme's dates.
    state: str = "in_force"
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None


@dataclass(frozen=True)
class Reason:
    """One condition of a scheme, met or not, in words with the person's figures."""

    code: str
    met: bool
    text: str


@dataclass(frozen=True)
class EntitlementAnswer:
    """ "Am I entitled?" for one subject of a scheme (the person, or one of their children, or
    the spouse who died) and one month: the result, the amount and the reasons."""

    scheme: str
    month: Period
    about: str  # "" for the person themselves, else whom it is about ("Léa, born on …")
    eligible: bool
    amount: Decimal
    reasons: tuple[Reason, ...]
    notes: tuple[str, ...]  # what else helps: "You reach the pension age on 1 March 2031."
    rules_fingerprint: str
    # Whom it is about when not the person (a child, the spouse who died): their id; 0 otherwise.
    subject_person_id: int = 0
    # False when the event the benefit pays for (a birth, a marriage, a death) is not in the file.
    event_found: bool = True


@dataclass(frozen=True)
class PensionAssumptions:
    """What the person assumes: the month they retire (the pension starts on its first day)
    and the gross yearly wage until then (0: no more work)."""

    retirement: Period
    future_yearly_wage: Decimal


@dataclass(frozen=True)
class EstimateMonth:
    month: Period
    age: int
    insured_months: int
    eligible: bool
    amount: Decimal


@dataclass(frozen=True)
class ComputationStep:
    label: str
    display: str


@dataclass(frozen=True)
class PensionEstimate:
    """The old-age pension estimated from the record and the assumptions: the month chosen and
    the months after it, and the computation of the month chosen explained."""

    assumptions: PensionAssumptions
    earliest: Period  # the first month the pension age is reached
    recorded_months: int
    projected_months: int
    last_recorded_year_wage: Decimal
    chosen: EstimateMonth
    months: tuple[EstimateMonth, ...]
    steps: tuple[ComputationStep, ...]
    reasons: tuple[Reason, ...]
    rules_fingerprint: str


# --- Claims ---------------------------------------------------------------------------------------


class ClaimRefused(DomainError):
    """A claim's step, or a case worker's move, that cannot be made: nothing changed."""

    messages: ClassVar[Mapping[str, StrOrPromise]] = {
        "scheme_closed": _("This benefit cannot be claimed this month."),
        "subject_required": _("Choose whom the claim is about."),
        "subject_unknown": _("Choose one of the persons listed."),
        "event_missing": _(
            "The event this benefit is paid for is not registered in your file: the claim is made at a counter."
        ),
        "month_invalid": _("Enter the month as YYYY-MM, for example 2027-03."),
        "month_out_of_range": _("Choose a month between %(first)s and %(last)s."),
        "already_claimed": _(
            "A claim of this benefit about this person is already under way or granted: follow it in your claims."
        ),
        "remarks_too_long": _("Write at most 2,000 characters."),
        "document_empty": _("The file is empty."),
        "document_too_large": _("The file is too large: at most %(size)s a file."),
        "document_unreadable": _("The file could not be read: send it again."),
        "document_type": _("Send a PDF, JPEG or PNG file: this file is none of them, or it is damaged."),
        "document_required_unknown": _("Choose which document this is."),
        "too_many_documents": _("A claim holds at most %(count)s documents: remove one first."),
        "bank_account_required": _("Choose the account the benefit is paid to, or enter one."),
        "honour_required": _("Tick the declaration on honour to submit the claim."),
        "incomplete": _("Complete the steps first: %(steps)s."),
        "not_a_draft": _("This claim is already submitted: it cannot be changed here."),
        "text_required": _("Write the message."),
        "text_too_long": _("Write at most %(count)s characters."),
        "reason_required": _("Give the reason."),
        "moved": _(
            "The claim changed meanwhile (now: %(status)s): nothing was done. Read it again and decide on what it is now."
        ),
        "not_allowed_now": _("This cannot be done while the claim is %(status)s."),
        "not_assigned": _("Only the case worker assigned to the claim can do this: assign it to yourself first."),
        "not_a_case_worker": _("Choose a case worker."),
        "own_proposal": _("No one approves their own proposal: another case worker must approve it."),
        "appeal_by_decider": _("The appeal is reviewed by a case worker who took no part in the decision appealed."),
        "appeal_window_closed": _("The time to appeal ended on %(day)s."),
        "information_not_due": _(
            "The claimant has until %(day)s to answer: the examination resumes then, or when they answer."
        ),
        "due_date_invalid": _("Choose a date between tomorrow and %(day)s."),
        "outcome_required": _("Choose the outcome."),
        "correction_input_unknown": _("Choose one of the inputs a case worker may correct."),
        "correction_member_unknown": _("Choose a member of the family."),
        "correction_period_invalid": _(
            "Give the period of the value: the year (YYYY) of a yearly wage, the month (YYYY-MM) of a monthly wage."
        ),
        "correction_value_invalid": _(
            "This value cannot be used: give a whole number of months, an amount, a date (YYYY-MM-DD) or yes/no,"
            " as the input holds."
        ),
        "amount_invalid": _("The computed amount is not a grant: a claim that is not eligible is refused."),
    }


# --- Payments -------------------------------------------------------------------------------------


class PaymentRefused(DomainError):
    """A payment run's step, or a bank answer, that cannot be taken: nothing changed."""

    messages: ClassVar[Mapping[str, StrOrPromise]] = {
        "run_moved": _("The run is %(status)s now: nothing was done. Read it again."),
        "period_closed": _("The run of %(period)s is already checked: it cannot be prepared again."),
        "period_too_far": _("A run is prepared for the current month or the next one, not %(period)s."),
        "own_run": _("Four eyes: another finance officer approves a run you prepared or checked."),
        "empty_run": _("This run pays nothing: there is nothing to check or approve."),
        "run_changed": _(
            "The run changed since you read it (now %(payments)s payments, %(amount)s €): nothing was done. Check"
            " its totals again."
        ),
        "answer_unreadable": _(
            "This is not a payment status report (pain.002) or a resolution of a recall (camt.029) we can read:"
            " %(detail)s"
        ),
        "answer_too_large": _("The file is too large: at most %(size)s."),
        "answer_known": _("This answer (%(message_id)s) was already imported on %(when)s."),
        "year_invalid": _("Choose one of the years listed."),
        "no_payment_in_year": _("No benefit was paid in %(year)s: there is no statement for that year."),
    }


# --- Life certificates ----------------------------------------------------------------------------


# The refusals of a file sent (benefits.uploads), whatever it is sent for.
DOCUMENT_CODES = ("document_empty", "document_too_large", "document_unreadable", "document_type")


class LifeRefused(DomainError):
    """A life certificate, a remote identity check or a case worker's check that cannot be taken:
    nothing changed."""

    messages: ClassVar[Mapping[str, StrOrPromise]] = {
        "nothing_asked": _("No life certificate is asked in this file at the moment."),
        "already_pending": _("A certificate you sent is being checked: wait for the answer before sending another."),
        "file_required": _("Choose the file of the certificate."),
        # A certificate's file is checked as a claim's documents are (benefits.uploads).
        **{code: ClaimRefused.messages[code] for code in DOCUMENT_CODES},
        "check_unavailable": _("The identity check service cannot be reached at the moment: try again later."),
        "check_by_the_person": _("Only the pensioner can pass the identity check, in person."),
        "review_moved": _("This certificate was already checked: nothing was done."),
        "own_upload": _("Four eyes: another member of staff checks a certificate you sent."),
        "reason_required": _("Choose why the certificate is refused."),
        "not_suspended": _("This benefit is not suspended: nothing was done."),
        "suspended_for_life_certificate": _(
            "This benefit is suspended for a missing life certificate: it resumes when a certificate is accepted or"
            " the identity is checked online."
        ),
        "not_active": _("Only a monthly benefit in payment can be suspended."),
        "note_required": _("Give the reason: the person is told it."),
        "own_benefit": _("Four eyes: another case worker handles a benefit of your own."),
        "own_request": _("Four eyes: another member of staff checks your own life certificate."),
        "note_too_long": _("Write at most %(count)s characters."),
    }


# --- Life events in -------------------------------------------------------------------------------


class PartnerRefused(DomainError):
    """A civil registry partner's request, or its creation, refused: nothing stored."""

    messages: ClassVar[Mapping[str, StrOrPromise]] = {
        "partner_scopes": _("Choose the kinds of events the partner may send."),
        "partner_name": _("Give the partner a name."),
        "partner_name_taken": _("A partner already has this name."),
        "signature_invalid": _(
            "The request's signature is missing, wrong or more than five minutes old: sign the exact body with the"
            ' partner\'s secret (X-Guichet-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">).'
        ),
        "replayed": _("This signed request was already received: sign each request anew."),
        "scope_missing": _("This partner may not send events of this kind."),
        # A batch file of events imported by staff (benefits.attribution.batch): refused whole.
        "partner_revoked": _("This partner's key is revoked: its events are refused."),
        "file_too_large": _("The file is larger than the limit of %(limit)s."),
        "file_not_csv": _("This is not a CSV text file encoded in UTF-8."),
        "file_header": _("The first line must be the header, with these columns: %(columns)s."),
        "file_empty": _("The file has a header but no event."),
        "file_too_many_lines": _("The file has more than %(limit)s lines: split it into several files."),
    }


@dataclass(frozen=True)
class EventReceipt:
    """What the partner is told of each event it sent: stored, or a repeat (ignored)."""

    partner_event_id: str
    status: str  # "accepted" or "duplicate"


@dataclass(frozen=True)
class BatchLineError:
    """Why a line of a batch file of events was rejected: its line in the file (the header is
    line 1), the column (empty when it is about the whole line) and the message."""

    line: int
    field: str
    message: str


@dataclass(frozen=True)
class BatchReport:
    """A batch file of events imported: its lines (blank ones left out), those stored, those
    sent before (ignored) and those rejected, with the rejections' first errors."""

    lines: int
    accepted: int
    duplicates: int
    rejected: int
    errors: tuple[BatchLineError, ...]  # the first BATCH_ERRORS_KEPT, in the file's order
    errors_left_off: int = 0  # errors beyond those kept


class ProposalRefused(DomainError):
    """A benefit proposed without an application: a step that cannot be taken, nothing changed."""

    messages: ClassVar[Mapping[str, StrOrPromise]] = {
        "not_to_verify": _("This proposal is not waiting for verification any more: read it again."),
        "own_proposal": _("Four eyes: another case worker verifies a proposal about you or your family."),
        "reason_required": _("Say why the proposal is withdrawn: the reason is kept."),
        "not_offered": _("This proposal is not waiting for an answer any more: read it again."),
        "bank_account_needed": _(
            "Give the bank account the benefit is paid to first (My bank account), then accept the proposal."
        ),
        "share_invalid": _("The share verified by a case worker is between 0 and 1."),
        "dispute_empty": _("Say what is wrong in the proposal: a case worker reads it."),
        "not_due_any_more": _("Computed again on today's data, this benefit is not due: withdraw the proposal."),
        "dispute_too_long": _("Say it in at most 2,000 characters."),
        "claim_open": _("A claim for this benefit is already under way: write in it instead."),
        "rule_unknown": _("This rule does not exist."),
    }


# --- Benefits proposed without an application -----------------------------------------------------


@dataclass(frozen=True)
class ProposalRow:
    """A benefit proposed to the person, in their list: waiting for an answer, or answered."""

    proposal_id: int
    reference: str
    title: str
    about: str  # whom it is about when not the person (the child, the spouse who died); "" otherwise
    amount: Decimal
    monthly: bool
    month: datetime.date  # the first month due
    status: str
    status_label: str
    offered_at: datetime.datetime
    answered_at: datetime.datetime | None

    @property
    def is_offered(self) -> bool:
        return self.status == "offered"


@dataclass(frozen=True)
class ProposalPage:
    """A benefit proposed to the person: what it pays and from when, why it is due (the
    conditions the engine checked, in words), where it stands, and what the reader may do."""

    proposal_id: int
    reference: str
    title: str
    slug: str  # the scheme's public page ("" for a scheme without one)
    about: str
    trigger_label: str  # "a birth"
    event_on: datetime.date | None  # the day of the event that triggered it
    amount: Decimal
    monthly: bool
    month: datetime.date
    status: str
    status_label: str
    offered_at: datetime.datetime
    answered_at: datetime.datetime | None
    reasons: tuple[Reason, ...]
    legal_basis: str
    account_on_file: str  # masked, "" when none
    may_answer: bool  # the reader manages the person's claims and the proposal waits for an answer
    may_set_account: bool  # the reader may record the bank account
    # The reason the person gave when declining, or why it was withdrawn; "" when none.
    note: str
    # Once accepted: the benefit opened, and the account it is paid to (masked).
    entitlement_id: int | None
    paid_to: str
    # Disputed: the claim opened instead.
    claim_id: int | None

    @property
    def is_offered(self) -> bool:
        return self.status == "offered"


@dataclass(frozen=True)
class AttributionOutcome:
    """Proactive attribution's outcomes for one benefit over a span (benefits.outcomes)."""

    scheme: str
    opened: int
    opened_proactively: int
    hours_to_proposal: tuple[Decimal | None, Decimal | None]  # median, 90th percentile
    hours_to_verification: tuple[Decimal | None, Decimal | None]
    hours_to_payment: tuple[Decimal | None, Decimal | None]
    paid: int
    paid_in_the_month_opened: int

    @property
    def proactive_percent(self) -> Decimal | None:
        return _share(self.opened_proactively, self.opened)

    @property
    def paid_on_time_percent(self) -> Decimal | None:
        return _share(self.paid_in_the_month_opened, self.paid)


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part * 100) / whole).quantize(Decimal("0.1")) if whole else None
