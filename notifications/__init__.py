"""notifications — one path from events to people: inbox, e-mail, SMS, channel preferences,
mobile numbers, delivery attempts and their retries.

Face (what other apps may import; the import contracts in pyproject.toml check it):
``services`` (``notify`` inside the caller's transaction, and the registration of an app's
event types), ``selectors`` (recipients, the unread count) and ``types``. Everything else —
models, channels, views, forms, admin, URLs, tasks, commands — is private.
"""
