"""notifications — one path from events to people: inbox, e-mail, SMS, preferences.

Empty until its issue; registered now so that the app has its home.
"""
