"""mandates — acting on behalf of someone: citizen, professional and employer mandates.

Empty until its issue; registered now so that the app has its home.
"""
