"""A per-client limit on requests in a sliding window, kept in memory (one process).

Each client's recent request times are kept until they leave the window; the clients seen least
recently are forgotten first once more than `max_clients` are tracked, so a flood of addresses
costs bounded memory (a forgotten address starts afresh: the limit slows guessing, it is not a
ban list)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(
        self, window_seconds: float = 60.0, max_clients: int = 10_000, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window_seconds
        self.max_clients = max_clients
        self._now = now
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # routes run in a thread pool

    def hit(self, client: str, limit: int) -> int | None:
        """Count one request of `client`; None when it is within `limit` per window, else the
        whole seconds until it would be (the refused request is not counted)."""
        now = self._now()
        with self._lock:
            times = self._seen.pop(client, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            self._seen[client] = times  # most recently seen last
            if len(times) >= limit:
                wait = times[0] + self.window - now if times else self.window
                return max(1, math.ceil(wait))
            times.append(now)
            while len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)
            return None

    def __len__(self) -> int:
        return len(self._seen)
