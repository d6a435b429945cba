"""The back office of benefits: schemes composed by staff (``schemes``); the case work on
claims (``claims``: the queues, the case page built by ``case_page``, its forms in
``casework_forms`` and what each does in ``case_actions``); the entitlements the grants opened
(``entitlements``); finance's payment runs, bank answers and sums to recover (``payments``); the
life certificates of pensioners abroad: the requests and their letters, the certificates to check,
the remote identity checks (``life``); the civil registry's partners and the life events they sent
(``attribution``)."""

from benefits.admin import attribution, claims, entitlements, life, payments, schemes

__all__ = ["attribution", "claims", "entitlements", "life", "payments", "schemes"]
