"""A claim for a benefit, from its draft to its decision and appeal; the decisions; the
entitlements a grant opens.

A claim is filled in step by step (a draft, saved at every step, resumed on any device), then
submitted. Case workers take it through its states (``ClaimStatus``, a django-fsm-2 field moved
only by ``benefits.claims`` under a row lock); every move, message, document and corrected
input is an event of its timeline (``ClaimEvent``), never changed. A decision (``Decision``)
is proposed, then approved — by a second person when the four-eyes rule asks — and keeps the
rules' version and the inputs it was computed from, to be explained and recomputed years later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from benefits.models.schemes import Periodicity


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("being filled in")
    SUBMITTED = "submitted", _("submitted, waiting for a case worker")
    IN_REVIEW = "in_review", _("being examined")
    INFORMATION_REQUESTED = "information_requested", _("information requested from the claimant")
    INFORMATION_PROVIDED = "information_provided", _("information provided, to be examined")
    PROPOSED = "proposed", _("decision proposed, to be approved")
    GRANTED = "granted", _("granted")
    REFUSED = "refused", pgettext_lazy("claim", "refused")
    APPEALED = "appealed", _("appeal lodged")
    APPEAL_PROPOSED = "appeal_proposed", _("appeal decision proposed, to be approved")
    APPEAL_DECIDED = "appeal_decided", _("appeal decided")
    WITHDRAWN = "withdrawn", _("withdrawn")


# Before the decision: the claimant may still withdraw, and its deadline runs (unless waiting).
BEFORE_DECISION = (
    ClaimStatus.SUBMITTED,
    ClaimStatus.IN_REVIEW,
    ClaimStatus.INFORMATION_REQUESTED,
    ClaimStatus.INFORMATION_PROVIDED,
    ClaimStatus.PROPOSED,
)
# Where case workers have something to do (the claimant is not being waited for).
TO_WORK_ON = (
    ClaimStatus.SUBMITTED,
    ClaimStatus.IN_REVIEW,
    ClaimStatus.INFORMATION_PROVIDED,
    ClaimStatus.PROPOSED,
    ClaimStatus.APPEALED,
    ClaimStatus.APPEAL_PROPOSED,
)
# A claim in these states blocks a second one for the same benefit and subject.
OPEN_STATES = (
    ClaimStatus.DRAFT,
    *BEFORE_DECISION,
    ClaimStatus.GRANTED,
    ClaimStatus.APPEALED,
    ClaimStatus.APPEAL_PROPOSED,
)


class EventKind(models.TextChoices):
    """What happened on a claim: a move between states, or something added to it."""

    SUBMITTED = "submitted", _("Claim submitted")
    ASSIGNED = "assigned", _("Case worker assigned")
    REVIEW_STARTED = "review_started", _("Examination started")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    INFORMATION_PROVIDED = "information_provided", _("Information provided")
    INPUT_CORRECTED = "input_corrected", _("Input corrected by the case worker")
    PROPOSED = "proposed", _("Decision proposed")
    PROPOSAL_RETURNED = "proposal_returned", _("Proposal sent back for another look")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    APPEALED = "appealed", _("Appeal lodged")
    APPEAL_PROPOSED = "appeal_proposed", _("Appeal decision proposed")
    APPEAL_DECIDED = "appeal_decided", _("Appeal decided")
    WITHDRAWN = "withdrawn", _("Claim withdrawn")
    MESSAGE_FROM_CLAIMANT = "message_from_claimant", _("Message from the claimant")
    MESSAGE_FROM_STAFF = "message_from_staff", _("Message from the case worker")
    DOCUMENT_ADDED = "document_added", _("Document added")


# Events the claimant's timeline does not show (internal case work).
STAFF_ONLY_EVENTS = frozenset({EventKind.ASSIGNED, EventKind.PROPOSED, EventKind.PROPOSAL_RETURNED})


class DocumentPurpose(models.TextChoices):
    CLAIM = "claim", _("with the claim")
    INFORMATION = "information", _("information requested")
    APPEAL = "appeal", _("with the appeal")


class Claim(models.Model):
    """One person's claim for one benefit, about one subject (themself, a child, the spouse who
    died), from one month."""

    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("claimant")
    )
    # The statutory scheme's code, or a composed scheme's ("winter_support").
    scheme = models.CharField(_("benefit"), max_length=60)
    composed_scheme = models.ForeignKey(
        "benefits.ComposedScheme", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    # Whom the benefit is about when not the claimant (a child, the spouse who died); 0: the claimant.
    subject_person_id = models.BigIntegerField(_("about (person id)"), default=0)
    subject_label = models.CharField(_("about"), max_length=200, blank=True)
    # The month it is asked from (a monthly benefit), or of the event (a grant paid once).
    month = models.CharField(_("from the month"), max_length=7, blank=True)
    status = FSMField(_("status"), max_length=30, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    # The claimant's answers and the step reached, while a draft.
    step = models.CharField(_("step reached"), max_length=20, default="about")
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=200, blank=True)
    declared_on_honour_at = models.DateTimeField(_("declared on honour at"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")

    created_at = models.DateTimeField(_("started at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    created_under_mandate_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(_("last change"))
    reference = models.CharField(_("reference"), max_length=20, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    receipt_document_id = models.BigIntegerField(null=True, blank=True)
    receipt_pdf = models.BinaryField(null=True, blank=True, editable=False)

    # Case work.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case worker"),
    )
    # The service-level deadline of the decision (of the appeal's, once appealed); it moves by
    # the days the claimant was waited for.
    due_on = models.DateField(_("to decide by"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting for the claimant since"), null=True, blank=True)
    information_due_on = models.DateField(_("information expected by"), null=True, blank=True)
    # Inputs the case worker corrected, each with its reason: [{member, input, period, value,
    # reason, by, at}], applied over the data read from the registers when computing.
    corrections = models.JSONField(_("corrected inputs"), default=list, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    appeal_until = models.DateField(_("appeal possible until"), null=True, blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("benefit claim")
        verbose_name_plural = _("benefit claims")
        constraints = [
            # One claim under way for a benefit and subject: a double click starts one draft,
            # and a second claim waits for the first to end.
            models.UniqueConstraint(
                fields=["person", "scheme", "subject_person_id"],
                condition=Q(status__in=[str(state) for state in OPEN_STATES]),
                name="claim_one_open",
            ),
            models.UniqueConstraint(fields=["reference"], condition=~Q(reference=""), name="claim_reference_unique"),
        ]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="claim_person_idx"),
            models.Index(fields=["status", "due_on"], name="claim_queue_idx"),
            models.Index(fields=["assigned_to", "status"], name="claim_assigned_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or str(_("Draft claim %(number)s") % {"number": self.pk})

    # The moves; ``benefits.claims`` calls them under a row lock and records each as an event.

    @transition(field=status, source=ClaimStatus.DRAFT, target=ClaimStatus.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(
        field=status, source=[ClaimStatus.SUBMITTED, ClaimStatus.INFORMATION_PROVIDED], target=ClaimStatus.IN_REVIEW
    )
    def start_review(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.IN_REVIEW, target=ClaimStatus.INFORMATION_REQUESTED)
    def request_information(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.INFORMATION_REQUESTED, target=ClaimStatus.INFORMATION_PROVIDED)
    def provide_information(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.INFORMATION_REQUESTED, target=ClaimStatus.IN_REVIEW)
    def resume_without_answer(self) -> None:
        """The date given to the claimant passed without an answer: the examination resumes."""

    @transition(field=status, source=ClaimStatus.IN_REVIEW, target=ClaimStatus.PROPOSED)
    def propose(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.PROPOSED, target=ClaimStatus.IN_REVIEW)
    def return_proposal(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.PROPOSED, target=ClaimStatus.GRANTED)
    def grant(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.PROPOSED, target=ClaimStatus.REFUSED)
    def refuse(self) -> None:
        pass

    @transition(field=status, source=[ClaimStatus.GRANTED, ClaimStatus.REFUSED], target=ClaimStatus.APPEALED)
    def appeal(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.APPEALED, target=ClaimStatus.APPEAL_PROPOSED)
    def propose_appeal_decision(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.APPEAL_PROPOSED, target=ClaimStatus.APPEALED)
    def return_appeal_proposal(self) -> None:
        pass

    @transition(field=status, source=ClaimStatus.APPEAL_PROPOSED, target=ClaimStatus.APPEAL_DECIDED)
    def decide_appeal(self) -> None:
        pass

    @transition(field=status, source=[ClaimStatus.DRAFT, *BEFORE_DECISION], target=ClaimStatus.WITHDRAWN)
    def withdraw(self) -> None:
        pass


class ClaimEvent(models.Model):
    """One line of a claim's timeline: a move (from, to), a message, a document added, an input
    corrected — who, when, why. Never changed."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("what"), max_length=30, choices=EventKind.choices)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # Acting for the claimant under this mandate (a proxy), when so.
    mandate_id = models.BigIntegerField(null=True, blank=True)
    by_staff = models.BooleanField(default=False)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    text = models.TextField(_("message or reason"), max_length=4000, blank=True)
    due_on = models.DateField(_("expected by"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        indexes = [models.Index(fields=["claim", "at", "id"], name="claim_event_idx")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.kind}"


class ClaimDocument(models.Model):
    """A document the claimant (or a case worker) added to a claim. Kept in the database, never
    under a public address: it is served by a view that checks who asks, and records the read."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    purpose = models.CharField(_("added"), max_length=20, choices=DocumentPurpose.choices)
    # Which of the scheme's required documents it is (its position in the list), or -1: another.
    required_index = models.SmallIntegerField(default=-1)
    filename = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(editable=False)
    uploaded_at = models.DateTimeField(_("added at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        indexes = [models.Index(fields=["claim", "uploaded_at"], name="claim_document_idx")]
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="claim_document_not_empty")]

    def __str__(self) -> str:
        return self.filename


class DecisionKind(models.TextChoices):
    FIRST = "first", _("decision on the claim")
    APPEAL = "appeal", _("decision on the appeal")


class DecisionOutcome(models.TextChoices):
    GRANTED = "granted", _("granted")
    REFUSED = "refused", pgettext_lazy("claim", "refused")
    # On an appeal: the decision appealed stands, or it is replaced by a grant.
    UPHELD = "upheld", _("decision confirmed")
    REVISED = "revised", _("decision changed: granted")


class DecisionState(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    RETURNED = "returned", _("sent back")
    FINAL = "final", _("final")


class Decision(models.Model):
    """A decision as proposed and approved, with everything needed to explain it and compute it
    again: the month, the inputs (and the corrections applied), each condition and intermediate
    value, the rules' fingerprint and OpenFisca-core's version."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(_("kind"), max_length=10, choices=DecisionKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=DecisionState.choices, default=DecisionState.PROPOSED)
    outcome = models.CharField(_("outcome"), max_length=10, choices=DecisionOutcome.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    periodicity = models.CharField(_("paid"), max_length=10, choices=Periodicity.choices)
    start_on = models.DateField(_("from"), null=True, blank=True)
    end_on = models.DateField(_("until"), null=True, blank=True)
    reason = models.TextField(_("reasons given"), max_length=4000)
    computation = models.JSONField(_("computation"))
    rules_fingerprint = models.CharField(_("rules version"), max_length=100)
    openfisca_core = models.CharField(_("OpenFisca-core version"), max_length=20)
    needs_second_person = models.BooleanField(_("four eyes"), default=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    returned_reason = models.TextField(_("why sent back"), max_length=2000, blank=True)
    letter_document_id = models.BigIntegerField(null=True, blank=True)
    letter_language = models.CharField(max_length=8, blank=True)
    letter = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("benefit decision")
        verbose_name_plural = _("benefit decisions")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="decision_amount_not_negative"),
            # A proposal waits for one approval at a time; a final decision of each kind once.
            models.UniqueConstraint(
                fields=["claim", "kind"], condition=Q(state="proposed"), name="decision_one_proposal"
            ),
            models.UniqueConstraint(fields=["claim", "kind"], condition=Q(state="final"), name="decision_one_final"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("proposed_by")) | Q(needs_second_person=False),
                name="decision_four_eyes",
            ),
        ]
        indexes = [models.Index(fields=["claim", "proposed_at"], name="decision_claim_idx")]

    def __str__(self) -> str:
        return f"{self.claim} {self.kind} {self.outcome}"


class EntitlementState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("entitlement", "active")
    SUSPENDED = "suspended", pgettext_lazy("entitlement", "suspended")
    ENDED = "ended", pgettext_lazy("entitlement", "ended")


class SuspensionReason(models.TextChoices):
    LIFE_CERTIFICATE = "life_certificate", _("no life certificate received")
    STAFF = "staff", _("suspended by a case worker")


class Entitlement(models.Model):
    """What a grant opens: a sum paid once, or a monthly amount from a day (until a day, or the
    claimant's death). The payments issue pays it."""

    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("beneficiary")
    )
    # The claim and decision that opened it; a grant made without a claim has neither.
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="entitlements")
    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="entitlement"
    )
    scheme = models.CharField(_("benefit"), max_length=60)
    periodicity = models.CharField(_("paid"), max_length=10, choices=Periodicity.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    start_on = models.DateField(_("from"))
    end_on = models.DateField(_("until (included)"), null=True, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    # Replaced by an appeal's decision: paid no more from then.
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Paid by the monthly runs while active; a suspended one is skipped with its reason (its
    # months stay due and are paid as arrears when it resumes); an ended one is paid no more.
    state = models.CharField(
        _("state"), max_length=10, choices=EntitlementState.choices, default=EntitlementState.ACTIVE
    )
    suspension_reason = models.CharField(
        _("reason of the suspension"), max_length=30, choices=SuspensionReason.choices, blank=True
    )
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    # A case worker's suspension: who, and the reason the person is told.
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suspended by"),
    )
    suspension_note = models.CharField(_("reason given"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        permissions = [("suspend_entitlement", _("Can suspend and resume a benefit in payment"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="entitlement_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")), name="entitlement_period_valid"
            ),
            models.UniqueConstraint(fields=["claim"], condition=Q(ended_at__isnull=True), name="entitlement_one_open"),
            models.CheckConstraint(
                condition=(Q(state=EntitlementState.SUSPENDED, suspended_at__isnull=False) & ~Q(suspension_reason=""))
                | (~Q(state=EntitlementState.SUSPENDED) & Q(suspension_reason="")),
                name="entitlement_suspension_reasoned",
            ),
        ]
        indexes = [models.Index(fields=["person", "start_on"], name="entitlement_person_idx")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.amount}"
