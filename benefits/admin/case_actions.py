"""The forms of a claim's case page and what each does: one service of
``benefits.claims.casework``, and the sentence that tells the case worker it worked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from benefits.admin.casework_forms import (
    AppealProposalForm,
    AssignForm,
    CorrectionForm,
    InformationRequestForm,
    MessageForm,
    ProposalForm,
    ReturnForm,
    SeenForm,
)
from benefits.claims import casework
from benefits.models import ClaimStatus


@dataclass(frozen=True)
class Action:
    """One form of the case page: its form, the service it calls, what is said when it worked."""

    form: type[SeenForm]
    call: Callable[..., Any]
    done: Callable[[Any], str]


def _status_label(status: str) -> str:
    return str(ClaimStatus(status).label)


def _decided(status: Any) -> str:
    if status in (ClaimStatus.GRANTED, ClaimStatus.REFUSED):
        return gettext("Decision made: the claim is %(status)s. The claimant receives the letter.") % {
            "status": _status_label(status)
        }
    return gettext("Decision proposed: another case worker approves it.")


ACTIONS: dict[str, Action] = {
    "assign": Action(
        AssignForm,
        lambda data, **common: casework.claim_assign(to_user_id=data["to_user"], **common),
        lambda _result: gettext("The claim is assigned."),
    ),
    "review": Action(
        SeenForm,
        lambda data, **common: casework.claim_review_start(**common),
        lambda _result: gettext("Examination started."),
    ),
    "request-information": Action(
        InformationRequestForm,
        lambda data, **common: casework.claim_information_request(text=data["text"], due_on=data["due_on"], **common),
        lambda _result: gettext("Information requested: the claimant is told; the deadline waits for their answer."),
    ),
    "message": Action(
        MessageForm,
        lambda data, **common: casework.claim_staff_message(text=data["text"], **common),
        lambda _result: gettext("Message sent to the claimant."),
    ),
    "correct": Action(
        CorrectionForm,
        lambda data, **common: casework.claim_input_correct(
            member=data["member"],
            input_name=data["input_name"],
            period=data["period"],
            value=data["value"],
            reason=data["reason"],
            **common,
        ),
        lambda _result: gettext("Correction recorded: the computation below uses it."),
    ),
    "propose": Action(
        ProposalForm,
        lambda data, **common: casework.claim_decision_propose(
            outcome=data["outcome"], reason=data["reason"], **common
        ),
        _decided,
    ),
    "approve": Action(
        SeenForm,
        lambda data, **common: casework.claim_proposal_approve(**common),
        lambda status: (
            gettext("Proposal approved: the claim is %(status)s. The claimant receives the letter.")
            % {"status": _status_label(status)}
        ),
    ),
    "return": Action(
        ReturnForm,
        lambda data, **common: casework.claim_proposal_return(reason=data["reason"], **common),
        lambda _result: gettext("Proposal sent back: the claim is examined again."),
    ),
    "appeal-propose": Action(
        AppealProposalForm,
        lambda data, **common: casework.claim_appeal_propose(outcome=data["outcome"], reason=data["reason"], **common),
        lambda _result: gettext("Decision on the appeal proposed: another case worker approves it."),
    ),
}
