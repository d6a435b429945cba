"""The benefits' partner API: the civil registry sends life events (``/api/v1/civil-registry/``)."""
