"""Debian's Chromium as the browser tests and the screen benchmarks drive it (Playwright): its
path, and flags that keep it on loopback and quiet (no update checks, no sync, no QUIC, every
host name but 127.0.0.1 unresolvable: a page that reaches outside fails loudly)."""

from __future__ import annotations

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
