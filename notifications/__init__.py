"""notifications — one path from events to people: inbox, e-mail, SMS, preferences.

Its face: ``services`` (``notify``, and ``event_types_register`` with which each app registers
the event types it owns from its ``AppConfig.ready()``), ``selectors`` (whom to tell, the inbox)
and ``types`` (``EventType``, categories, importance, recipients, errors).
"""
