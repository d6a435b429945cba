"""The back office of benefits: schemes composed by staff (``schemes``); the case work on
claims (``claims``: the queues, the case page built by ``case_page``, its forms in
``casework_forms`` and what each does in ``case_actions``); the entitlements the grants opened
(``entitlements``); finance's payment runs, bank answers and sums to recover (``payments``)."""

from benefits.admin import claims, entitlements, payments, schemes

__all__ = ["claims", "entitlements", "payments", "schemes"]
