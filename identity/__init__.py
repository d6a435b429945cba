"""identity — the person and enterprise registries, user accounts and their links."""
