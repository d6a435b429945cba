"""Recording and listing reads of personal data (the citizen's "who accessed my data")."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.actor import ActingMode, Actor
from core.models import AccessRecord
from core.types import AccessPurpose

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A person reads one line per reader, purpose and detail within this window: a counter visit
# that opens five pages, or a list paged through, is one event in their trail, not five.
ACCESS_RECORD_WINDOW = datetime.timedelta(minutes=15)


def _recent(*, actor_user_id: int, purpose: str, detail: str, mandate_id: int | None, now: datetime.datetime) -> Any:
    return AccessRecord.objects.filter(
        actor_user_id=actor_user_id,
        purpose=purpose,
        detail=detail,
        mandate_id=mandate_id,
        at__gt=now - ACCESS_RECORD_WINDOW,
        at__lte=now,
    )


def access_record(
    *, actor: Actor, subject_person_id: int, purpose: AccessPurpose, now: datetime.datetime, detail: str = ""
) -> bool:
    """Record that ``actor`` read the data of ``subject_person_id``. A person reading their own
    data is not recorded; the same reader, purpose and detail within ``ACCESS_RECORD_WINDOW``
    are recorded once. Staff at the counter read with the counter's reason — only in the file
    of the person they serve. Returns whether a record was written."""
    if actor.user_id is None:
        raise ValueError("an anonymous actor cannot read personal data")
    if actor.person_id == subject_person_id:
        return False
    serving = actor.mode == ActingMode.ASSISTED and actor.subject_person_id == subject_person_id
    if serving and not detail:
        detail = actor.assisted_reason
    detail = detail[:200]
    mandate_id = actor.mandate_id if actor.subject_person_id == subject_person_id else None
    recent = _recent(actor_user_id=actor.user_id, purpose=purpose, detail=detail, mandate_id=mandate_id, now=now)
    if recent.filter(subject_person_id=subject_person_id).exists():
        return False
    AccessRecord.objects.create(
        at=now,
        actor_user_id=actor.user_id,
        subject_person_id=subject_person_id,
        purpose=purpose,
        detail=detail,
        mandate_id=mandate_id,
    )
    return True


def file_view_record(*, actor: Actor, subject_person_id: int, what: str, now: datetime.datetime) -> bool:
    """Record a view of a part of the open file (``what``: "dashboard", "contribution record"…)
    by whoever may view it: at the counter with the stated reason, else under the mandate."""
    assisted = actor.mode == ActingMode.ASSISTED
    return access_record(
        actor=actor,
        subject_person_id=subject_person_id,
        purpose=AccessPurpose.ASSISTED_VIEW if assisted else AccessPurpose.PROXY_FILE_VIEW,
        now=now,
        detail="" if assisted else what,
    )


def access_record_many(
    *,
    actor: Actor,
    subject_person_ids: list[int],
    purpose: AccessPurpose,
    now: datetime.datetime,
    detail: str = "",
) -> int:
    """Record that ``actor`` was shown the data of several persons (a list, a search result,
    letters printed), with what was read (``detail``): one record per person, unless the same
    reader was shown the same within ``ACCESS_RECORD_WINDOW``. Two queries, whatever the number
    of persons."""
    if actor.user_id is None:
        raise ValueError("an anonymous actor cannot read personal data")
    wanted = [person_id for person_id in dict.fromkeys(subject_person_ids) if person_id != actor.person_id]
    if not wanted:
        return 0
    recent = _recent(actor_user_id=actor.user_id, purpose=purpose, detail=detail, mandate_id=None, now=now)
    already = set(recent.filter(subject_person_id__in=wanted).values_list("subject_person_id", flat=True))
    records = [
        AccessRecord(at=now, actor_user_id=actor.user_id, subject_person_id=person_id, purpose=purpose, detail=detail)
        for person_id in wanted
        if person_id not in already
    ]
    AccessRecord.objects.bulk_create(records)
    return len(records)


# The fixed details the portal records (what was read), worded for the person in the story.
FIXED_DETAILS = {
    "dashboard": _("your summary page"),
    "access log": _("the list of who accessed your data"),
    "contribution record": _("your contribution record"),
    "contribution statement": _("a contribution statement"),
    "contribution statement asked for": _("a contribution statement asked for"),
    "reported problem": _("a problem you reported with your contribution record"),
    "reported problem, with the employer's declarations and account": _(
        "a problem you reported, with the declarations, your hiring and the account of that employer for that month"
    ),
    "benefit entitlement": _("whether you are entitled to a benefit"),
    "pension simulation": _("an estimate of your pension"),
    "claim": _("a benefit claim of yours"),
    "claim document": _("a document of a benefit claim of yours"),
    "claim decision letter": _("the letter of a decision on a benefit claim of yours"),
    "claim of a family member": _("a benefit claim of a member of your family, computed with your data"),
    "entitlement": _("a benefit granted to you"),
    "payments": _("your benefit payments"),
    "payment statement": _("your yearly statement of benefits paid"),
    "life certificate": _("your life certificate"),
    "life certificate sent": _("a life certificate sent for you"),
    "benefits proposed": _("the benefits proposed to you"),
    "benefit proposed": _("a benefit proposed to you"),
    "life event": _("an event of the civil registry about you"),
    "benefit proposed accepted": _("a benefit proposed to you, accepted for you"),
    "benefit proposed declined": _("a benefit proposed to you, declined for you"),
    "claim started": _("a benefit claim started for you"),
    "claim step saved": _("the answers of a benefit claim"),
    "claim document added": _("a document added to a benefit claim"),
    "claim document removed": _("a document removed from a benefit claim"),
    "claim submitted": _("a benefit claim submitted for you"),
    "claim withdrawn": _("a benefit claim withdrawn"),
    "claim message": _("a message sent to the case worker about a claim"),
    "claim information provided": _("information provided for a benefit claim"),
    "claim appealed": _("an appeal against a decision on a benefit claim"),
    "history": _("the history of a record"),
    "deletion": _("a record, before a deletion that was not made"),
}

# What happened, told to the person: %(who)s read or did what, %(detail)s being the reason or
# what was read.
STORIES: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    # (without detail, with detail)
    AccessPurpose.STAFF_REGISTRY_VIEW: (
        _("%(who)s, of our staff, consulted your record in the back office."),
        _("%(who)s, of our staff, consulted %(detail)s in the back office."),
    ),
    AccessPurpose.STAFF_REGISTRY_SEARCH: (
        _("%(who)s, of our staff, saw your name in a list in the back office."),
        _("%(who)s, of our staff, saw your name in a list in the back office (%(detail)s)."),
    ),
    AccessPurpose.STAFF_REGISTRY_CHANGE: (
        _("%(who)s, of our staff, corrected your record in the registry."),
        _("%(who)s, of our staff, corrected your record in the registry (%(detail)s)."),
    ),
    AccessPurpose.STAFF_ACCOUNT_CHANGE: (
        _("%(who)s, of our staff, changed your account."),
        _("%(who)s, of our staff, changed your account (%(detail)s)."),
    ),
    AccessPurpose.COUNTER_SIGN_IN_ADDRESS: (
        _("%(who)s, of our staff, asked at the counter to change the address you sign in with."),
        _("%(who)s, of our staff, asked at the counter to change the address you sign in with: “%(detail)s”."),
    ),
    AccessPurpose.STAFF_ACTIVATION_CODE: (
        _("%(who)s, of our staff, issued an activation code for your file."),
        _("%(who)s, of our staff, issued an activation code for your file (%(detail)s)."),
    ),
    AccessPurpose.PROXY_FILE_VIEW: (
        _("%(who)s, whom you mandated, consulted your file."),
        _("%(who)s, whom you mandated, consulted %(detail)s."),
    ),
    AccessPurpose.BANK_ACCOUNT_VIEW: (
        _("%(who)s saw your bank account for payments."),
        _("%(who)s saw your bank account for payments (%(detail)s)."),
    ),
    AccessPurpose.BANK_ACCOUNT_CHANGE: (
        _("%(who)s changed your bank account for payments."),
        _("%(who)s changed your bank account for payments (%(detail)s)."),
    ),
    AccessPurpose.ASSISTED_VIEW: (
        _("%(who)s, of our staff, served you at the counter in your file."),
        _("%(who)s, of our staff, served you at the counter in your file: “%(detail)s”."),
    ),
    AccessPurpose.PROXY_CLAIM_ACTION: (
        _("%(who)s, whom you mandated, acted on a benefit claim of yours."),
        _("%(who)s, whom you mandated, acted on your benefit claims: %(detail)s."),
    ),
    AccessPurpose.STAFF_CLAIM_VIEW: (
        _("%(who)s, of our staff, consulted a benefit claim of yours."),
        _("%(who)s, of our staff, consulted %(detail)s."),
    ),
}


# The same, told about the person to someone reading their trail for them (a proxy whose mandate
# lets them view the file): %(name)s is the person.
FIXED_DETAILS_ABOUT = {
    "dashboard": _("their summary page"),
    "access log": _("the list of who accessed their data"),
    "contribution record": _("their contribution record"),
    "benefit entitlement": _("whether they are entitled to a benefit"),
    "pension simulation": _("an estimate of their pension"),
    "claim": _("a benefit claim of theirs"),
    "claim document": _("a document of a benefit claim of theirs"),
    "claim decision letter": _("the letter of a decision on a benefit claim of theirs"),
    "claim of a family member": _("a benefit claim of a member of their family, computed with their data"),
    "entitlement": _("a benefit granted to them"),
    "payments": _("their benefit payments"),
    "payment statement": _("their yearly statement of benefits paid"),
    "life certificate": _("their life certificate"),
    "life certificate sent": _("a life certificate sent for them"),
    "benefits proposed": _("the benefits proposed to them"),
    "benefit proposed": _("a benefit proposed to them"),
    "life event": _("an event of the civil registry about them"),
    "benefit proposed accepted": _("a benefit proposed to them, accepted for them"),
    "benefit proposed declined": _("a benefit proposed to them, declined for them"),
    "reported problem": _("a problem reported with their contribution record"),
    "reported problem, with the employer's declarations and account": _(
        "a problem reported with their record, with the declarations, their hiring and the account of that employer"
        " for that month"
    ),
}
STORIES_ABOUT: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    AccessPurpose.STAFF_REGISTRY_VIEW: (
        _("%(who)s, of our staff, consulted the record of %(name)s in the back office."),
        _("%(who)s, of our staff, consulted %(detail)s in the back office."),
    ),
    AccessPurpose.STAFF_REGISTRY_SEARCH: (
        _("%(who)s, of our staff, saw the name of %(name)s in a list in the back office."),
        _("%(who)s, of our staff, saw the name of %(name)s in a list in the back office (%(detail)s)."),
    ),
    AccessPurpose.STAFF_REGISTRY_CHANGE: (
        _("%(who)s, of our staff, corrected the record of %(name)s in the registry."),
        _("%(who)s, of our staff, corrected the record of %(name)s in the registry (%(detail)s)."),
    ),
    AccessPurpose.STAFF_ACCOUNT_CHANGE: (
        _("%(who)s, of our staff, changed the account of %(name)s."),
        _("%(who)s, of our staff, changed the account of %(name)s (%(detail)s)."),
    ),
    AccessPurpose.COUNTER_SIGN_IN_ADDRESS: (
        _("%(who)s, of our staff, asked at the counter to change the address %(name)s signs in with."),
        _("%(who)s, of our staff, asked at the counter to change the address %(name)s signs in with: “%(detail)s”."),
    ),
    AccessPurpose.STAFF_ACTIVATION_CODE: (
        _("%(who)s, of our staff, issued an activation code for the file of %(name)s."),
        _("%(who)s, of our staff, issued an activation code for the file of %(name)s (%(detail)s)."),
    ),
    AccessPurpose.PROXY_FILE_VIEW: (
        _("%(who)s, whom %(name)s mandated, consulted their file."),
        _("%(who)s, whom %(name)s mandated, consulted %(detail)s."),
    ),
    AccessPurpose.BANK_ACCOUNT_VIEW: (
        _("%(who)s saw the bank account of %(name)s for payments."),
        _("%(who)s saw the bank account of %(name)s for payments (%(detail)s)."),
    ),
    AccessPurpose.BANK_ACCOUNT_CHANGE: (
        _("%(who)s changed the bank account of %(name)s for payments."),
        _("%(who)s changed the bank account of %(name)s for payments (%(detail)s)."),
    ),
    AccessPurpose.ASSISTED_VIEW: (
        _("%(who)s, of our staff, served %(name)s at the counter in their file."),
        _("%(who)s, of our staff, served %(name)s at the counter in their file: “%(detail)s”."),
    ),
    AccessPurpose.PROXY_CLAIM_ACTION: (
        _("%(who)s, whom %(name)s mandated, acted on a benefit claim of theirs."),
        _("%(who)s, whom %(name)s mandated, acted on their benefit claims: %(detail)s."),
    ),
    AccessPurpose.STAFF_CLAIM_VIEW: (
        _("%(who)s, of our staff, consulted a benefit claim of %(name)s."),
        _("%(who)s, of our staff, consulted %(detail)s."),
    ),
}


# What staff changed in a person's record or account is kept as the names of the fields changed
# (``changed_fields``): the same in every language, and readable again when a label is reworded.
# The app that owns those fields registers their labels (``changed_field_labels_register``), and
# the trail names them in the reader's language (``detail_shown``).
_CHANGED_FIELD_LABELS: dict[str, dict[str, StrOrPromise]] = {}


def changed_fields(names: Iterable[str]) -> str:
    """The detail of a staff change: the names of the fields changed, in the form's order."""
    return ", ".join(names)


def changed_field_labels_register(*, purpose: AccessPurpose, labels: Mapping[str, StrOrPromise]) -> None:
    """Name, for the trail, the fields a change of ``purpose`` may record (lazy translations)."""
    _CHANGED_FIELD_LABELS.setdefault(purpose, {}).update(labels)


def detail_shown(*, purpose: str, detail: str, about: bool = False) -> str:
    """The detail of a record in the active language: a fixed detail worded for the reader, the
    fields a staff change named by their labels, or the text recorded (a counter reason)."""
    known = (FIXED_DETAILS_ABOUT.get(detail) if about else None) or FIXED_DETAILS.get(detail)
    if known is not None:
        return str(known)
    labels = _CHANGED_FIELD_LABELS.get(purpose)
    if labels and detail:
        return ", ".join(str(labels.get(name, name)) for name in (part.strip() for part in detail.split(",")))
    return detail


@dataclass(frozen=True)
class AccessRow:
    at: datetime.datetime
    actor_label: str
    actor_is_staff: bool
    purpose: str
    purpose_label: str
    detail: str
    # Set when someone reads the trail for the person (``about``): the story names them.
    about: str = ""

    @property
    def day(self) -> datetime.date:
        return timezone.localdate(self.at)

    @property
    def story(self) -> str:
        """What happened, in a sentence in the active language."""
        stories = STORIES_ABOUT if self.about else STORIES
        without, with_detail = stories.get(self.purpose, (self.purpose_label, self.purpose_label))
        detail = detail_shown(purpose=self.purpose, detail=self.detail, about=bool(self.about))
        return str(with_detail if detail else without) % {"who": self.actor_label, "detail": detail, "name": self.about}


def access_record_list(
    *, subject_person_id: int, mandate_id: int | None = None, limit: int = 200, about: str = ""
) -> list[AccessRow]:
    """The most recent accesses to a person's data (optionally those made under one mandate),
    newest first, in one query. ``about``: the person's name, when someone reads the list for
    them (the stories then speak of them, not to them)."""
    query = AccessRecord.objects.filter(subject_person_id=subject_person_id)
    if mandate_id is not None:
        query = query.filter(mandate_id=mandate_id)
    rows = (
        query.annotate(
            actor_name=Coalesce(
                NullIf(
                    Concat(
                        F("actor_user__first_name"), Value(" "), F("actor_user__last_name"), output_field=CharField()
                    ),
                    Value(" "),
                ),
                F("actor_user__email"),
                output_field=CharField(),
            )
        )
        .values_list("at", "actor_name", "actor_user__is_staff", "purpose", "detail")
        .order_by("-at", "-id")[:limit]
    )
    labels = dict(AccessPurpose.choices)
    return [
        AccessRow(
            at=at,
            actor_label=name,
            actor_is_staff=is_staff,
            purpose=purpose,
            purpose_label=str(labels.get(purpose, purpose)),
            detail=detail,
            about=about,
        )
        for at, name, is_staff, purpose, detail in rows
    ]
