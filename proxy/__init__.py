"""Proxydesk's Qt-free core: the haproxy.cfg language, the proxy engine, certificates, the CLI."""

__version__ = "0.1.0"
