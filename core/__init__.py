"""The shared kernel: the request's actor, audit of personal-data access, logging helpers.

It imports no domain app; every domain app may import it.
"""
