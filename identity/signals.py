"""Domain events of the identity app, sent inside the transaction that caused them.

Apps above identity (notifications first) subscribe to them; identity itself never imports them.
Receivers run in the same transaction: what they write commits or rolls back with the event.
"""

from django.dispatch import Signal

# kwargs: user_id, person_id, now
account_linked = Signal()
# kwargs: user_id, enterprise_id, role, granted_by_id, now
representation_granted = Signal()
# kwargs: user_id, enterprise_id, role, revoked_by_id, now
representation_revoked = Signal()
# kwargs: person_id, actor_user_id, mandate_id, now
bank_account_changed = Signal()
# kwargs: user_id, person_id (or None), old_address, new_address, now
sign_in_address_changed = Signal()
# kwargs: user_id, now — sign-in stopped for an address after repeated wrong passwords
sign_in_locked = Signal()
# kwargs: address, user_id (or None), subject, text, html, now — an e-mail the sign-in library
# rendered (an address to confirm, a password reset, a security notice), to be sent from the
# outbox; it may carry a secret link. One receiver must store it and return a true value.
account_email_prepared = Signal()
