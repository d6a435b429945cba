"""Real servers that a test stops, freezes and starts again (devtools/servers.py)."""

from devtools.servers import RedisServer, SilentSmtp, Visitor, free_port

__all__ = ["RedisServer", "SilentSmtp", "Visitor", "free_port"]
