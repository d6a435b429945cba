"""Proactive attribution: life events from the civil registry in (``partners``, ``events``; their
shape in ``shapes``, shared by the partner API and the staff's batch files in ``batch``), the
registry updated from them."""
