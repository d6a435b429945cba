"""The back office of benefits: schemes composed by staff (``schemes``); the case work on
claims (``claims``: the queues, the case page built by ``case_page``, its forms in
``casework_forms`` and what each does in ``case_actions``); the entitlements the grants opened
(``entitlements``); finance's payment runs, bank answers and sums to recover (``payments``); the
life certificates of pensioners abroad: the requests and their letters, the certificates to check,
the remote identity checks (``life``)."""

from benefits.admin import claims, entitlements, life, payments, schemes

__all__ = ["claims", "entitlements", "life", "payments", "schemes"]
