"""benefits — benefit schemes, claims, decisions, entitlements and proactive attribution.

Empty until its issue; registered now so that the app has its home.
"""
