"""contributions — employment, declarations, the employer account and the contribution record.

Empty until the declarations issue; registered now so that the app has its home.
"""
