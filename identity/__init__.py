"""identity — the person and enterprise registries, user accounts and their links, enterprise
roles, API keys, bank accounts, and the country profiles of national identifiers.

Face (what other apps may import; the import contracts in pyproject.toml check it):
``services`` (writes), ``selectors`` (reads, returning dataclasses), ``types``, ``policies``,
``country_profiles`` (identifier formats, validated with python-stdnum) and ``signals`` (the
events apps above identity subscribe to: an account linked, a role granted or revoked, a bank
account changed, an e-mail of the sign-in library to send from the outbox). Everything else — models, views, forms, admin, URLs, the sign-in adapters —
is private.
"""
