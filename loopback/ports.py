"""A free TCP port on loopback, for the servers the tests and benchmarks start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """Free now; closed again at once (so also a port where nothing listens)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
