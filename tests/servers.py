"""Real servers that a test stops, freezes and starts again (devtools/servers.py)."""

from devtools.servers import Gunicorn, RedisServer, SilentSmtp, Visitor, free_port

__all__ = ["Gunicorn", "RedisServer", "SilentSmtp", "Visitor", "free_port"]
