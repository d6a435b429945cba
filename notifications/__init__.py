"""notifications — one path from events to people: inbox, e-mail, SMS, channel preferences,
mobile numbers, delivery attempts and their retries.

Face (what other apps may import; the import contracts in pyproject.toml check it):
``services`` (``notify`` inside the caller's transaction — ``notify_many`` when each group of
recipients has news of its own, in one batch —, ``prepared_email_queue`` for an e-mail
its sender rendered itself, and ``event_types_register``, with which each app registers the event
types it owns from its ``AppConfig.ready()``),
``selectors`` (whom to tell, the inbox, the unread count; in figures, what the channels did and
what the outbox holds) and ``types`` (``EventType``, categories, importance, recipients,
errors, the figures' dataclasses). Everything else — models, channels, views, forms, admin,
URLs, tasks, commands — is private.
"""
