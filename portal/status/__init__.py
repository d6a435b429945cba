"""The portal's view of its own health: whether the dependencies answer (``dependencies``)."""
