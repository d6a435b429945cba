"""Proactive attribution: life events from the civil registry in (``partners``, ``events``), the
registry updated from them."""
