"""mandates — acting on behalf of someone: citizen mandates to a relative, trusted person or
accredited professional, and employers' mandates to a payroll bureau or accounting firm.

Face (what other apps may import; the import contracts in pyproject.toml check it):
``services`` (offer, ask, accept, change, end), ``selectors`` (above all ``mandate_in_force``
and ``mandate_for_acting``: the one rule for whether someone may act for someone else, and
``enterprises_for_bureau``) and ``types``. Everything else — models, views, forms, admin, URLs,
tasks — is private.
"""
