"""The embedded proxy engine: run a haproxy.cfg on asyncio, the way HAProxy 2.6 would.

The GUI and the CLI use only what is exported here; see ``engine.py`` for the
life cycle (start, hot reload with ``apply``, stop) and the observation API
(``stats``, ``subscribe``, ``drain_events``, ``route``).
"""

from proxy.engine.acl import RequestContext
from proxy.engine.engine import Engine, EngineError, RouteDecision
from proxy.engine.session import LogEvent, Timings

__all__ = ["Engine", "EngineError", "LogEvent", "RequestContext", "RouteDecision", "Timings"]
