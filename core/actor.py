"""Who acts in a request, at which level of assurance, and on whose file."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


class LevelOfAssurance(enum.IntEnum):
    """eIDAS-style levels: how sure we are that the session belongs to the account holder."""

    NONE = 0
    LOW = 1  # password
    SUBSTANTIAL = 2  # password and a second factor
    HIGH = 3  # national eID

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    LevelOfAssurance.NONE: _("not signed in"),
    LevelOfAssurance.LOW: _("low (password)"),
    LevelOfAssurance.SUBSTANTIAL: _("substantial (two-factor)"),
    LevelOfAssurance.HIGH: _("high (electronic ID)"),
}


# The session remembers which mandate a proxy chose to act under (re-checked on every request),
# and which citizen a staff member serves at the counter, with the stated reason.
ACTING_FOR_SESSION_KEY = "acting_for_mandate_id"
ASSISTED_SESSION_KEY = "assisted_file"


class ActingMode(enum.StrEnum):
    ANONYMOUS = "anonymous"
    SELF = "self"  # a person on their own file
    PROXY = "proxy"  # a person acting in someone else's file under a mandate
    ASSISTED = "assisted"  # staff serving a citizen at the counter, in the citizen's file
    STAFF = "staff"  # agency staff, in the admin or at the counter
    MACHINE = "machine"  # an enterprise's software, with an API key (``scopes`` are the key's)


@dataclass(frozen=True)
class Actor:
    """Built once per request (``request.actor``); passed to services, policies and selectors.

    ``user_id`` is who acts; ``subject_person_id`` is whose file they act on. The two are kept
    apart so that every write and every read can record both.
    """

    user_id: int | None
    level_of_assurance: LevelOfAssurance
    mode: ActingMode
    person_id: int | None = None
    subject_person_id: int | None = None
    is_staff: bool = False
    enterprise_ids: frozenset[int] = field(default_factory=frozenset)
    # Acting for someone else: the mandate, what it allows, and whose name to show.
    mandate_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    subject_name: str = ""
    assisted_reason: str = ""
    # An enterprise's software: the API key it presented (``enterprise_ids`` is its enterprise).
    api_key_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.api_key_id is not None

    @property
    def signed_in_user_id(self) -> int:
        """The account acting, for a page that requires signing in (an error otherwise)."""
        if self.user_id is None:
            raise ValueError("no account is signed in")
        return self.user_id

    @property
    def is_machine(self) -> bool:
        return self.mode == ActingMode.MACHINE and self.api_key_id is not None

    @property
    def acts_for_someone_else(self) -> bool:
        return self.subject_person_id is not None and self.subject_person_id != self.person_id

    def has_level(self, level: LevelOfAssurance) -> bool:
        return self.level_of_assurance >= level

    def may(self, scope: str) -> bool:
        """Whether the open file may be used for ``scope``: always in one's own file; through a
        mandate, only for the scopes it grants (checked against the mandates app when the
        request began)."""
        if not self.acts_for_someone_else:
            return self.person_id is not None
        return scope in self.scopes


ANONYMOUS_ACTOR = Actor(user_id=None, level_of_assurance=LevelOfAssurance.NONE, mode=ActingMode.ANONYMOUS)
