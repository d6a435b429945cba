"""benefits — benefit schemes, claims, decisions, entitlements, payments and proactive
attribution. Built by the benefits issues; registered now so that its contracts hold.

Face (what other apps may import; the import contracts in pyproject.toml check it):
``services``, ``selectors`` and ``types``. Everything else is private.
"""
