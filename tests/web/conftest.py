"""Browser tests of the clerk's screens: Debian's Chromium driven by Playwright against a real
`sohoa serve` on loopback (../shared/design/RUNNING-REAL-SERVICES.md, "Browser tests").

- One server for the session (embedded SQLite, local storage, one Ray worker); staff accounts
  made with `sohoa users add … --password-stdin`, like an operator does.
- Every page runs at 1366×768 in Vietnam time; a route guard fails the test on any request that
  is not to 127.0.0.1 (no CDN, no font, no outside host), and an uncaught script error fails it too.
- Screenshots go to out/screenshots/ (test artifacts, not committed).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from loopback.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.support import VIEWPORT, Papers, Server, make_papers, start_server, stop_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": VIEWPORT,
        "locale": "vi-VN",
        "timezone_id": "Asia/Ho_Chi_Minh",
        "accept_downloads": True,
    }


# Two cores shared with the server, its OCR worker and the browser: give the screen time.
expect.set_options(timeout=10_000)

# Headless Chromium (156) crashes the page when print() runs in a frame that shows a PDF: each
# frame's print() records where it was called instead (the screen prints the receipt that way).
RECORD_PRINTING = """
window.print = function () {
    const top = window.top;
    (top.__printed = top.__printed || []).push(String(location.href));
};
"""

NOT_NETWORK = ("data", "blob", "about", "chrome", "chrome-extension", "chrome-untrusted", "devtools")


@dataclass
class Guard:
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def guard() -> Guard:
    return Guard()


@pytest.fixture
def page(context, guard):
    """A page that may only talk to 127.0.0.1; script errors are collected and fail the test."""

    def route(route) -> None:  # noqa: ANN001
        if leaves_loopback(route.request.url):
            guard.outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    context.add_init_script(RECORD_PRINTING)
    context.on("request", lambda r: _note_outside(guard, r.url))
    page = context.new_page()
    page.on("pageerror", lambda e: guard.errors.append(str(e)))
    yield page
    assert not guard.outside, f"requests left loopback: {guard.outside}"
    assert not guard.errors, f"uncaught script errors: {guard.errors}"


def _note_outside(guard: Guard, url: str) -> None:
    if leaves_loopback(url):
        guard.outside.append(url)


def leaves_loopback(url: str) -> bool:
    """A network request to anywhere but 127.0.0.1. The browser's own pages (chrome:,
    chrome-extension: — its PDF viewer, showing the receipt), data: and blob: are not network."""
    parts = urlsplit(url)
    return parts.scheme not in NOT_NETWORK and parts.hostname != "127.0.0.1"


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-rw-", dir="/tmp"))  # short: Ray's socket paths
    # The screens' tests pick a card's QR name over its toneless print on screen, which needs the
    # two to disagree: the policy that lets the code overrule such a print (issue 19) is tested in
    # tests/test_card_qr_precedence.py, and off here.
    policy = ("SOHOA_READING__CARD_QR_OVER_PRINT", "false")
    running = start_server(tmp_path_factory.mktemp("web"), ray_dir, policy)
    yield running
    stop_server(running, ray_dir)


@pytest.fixture(scope="session")
def papers() -> Papers:
    return make_papers()
