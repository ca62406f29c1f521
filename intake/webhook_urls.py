"""Which URLs may receive an agency's events: https (http only where the settings allow it),
no credentials, no literal internal address, and within the deployment's allowed hosts when it
names any. Checked at registration and again before every post."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

from intake.event_schemas import MAX_URL


def host_allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    """Whether `host` is one the deployment lets webhooks name (any, when it names none): the
    host itself, or under a '.suffix' entry (".gov.vn" admits "motcua.hanoi.gov.vn")."""
    host = host.lower().rstrip(".")
    return not allowed_hosts or any(
        host.endswith(entry.lower()) if entry.startswith(".") else host == entry.lower() for entry in allowed_hosts
    )


def url_problem(url: str, allow_http: bool, allowed_hosts: Sequence[str] = ()) -> str | None:
    """Why `url` cannot receive events (Vietnamese, for the error's detail), or None. https only
    (http where the settings allow it: tests on loopback); no user name or password in it: it
    is shown in lists and logs, and a secret belongs in the signature."""
    if len(url) > MAX_URL:
        return f"dài quá {MAX_URL} ký tự"
    if not url.isascii() or any(ch.isspace() for ch in url):
        return "có khoảng trắng hoặc ký tự ngoài ASCII (hãy mã hóa theo punycode/percent-encoding)"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number raises here
    except ValueError:
        return "không đọc được địa chỉ"
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        return "chỉ nhận https://" if not allow_http else "chỉ nhận https:// hoặc http://"
    if "@" in parts.netloc:
        return "không được chứa tên đăng nhập hay mật khẩu"
    if not parts.hostname:
        return "thiếu tên máy chủ"
    if parts.fragment:
        return "không được có phần #…"
    if port == 0:
        return "cổng 0"
    if not allow_http and _private_address(parts.hostname):
        return "địa chỉ nội bộ (loopback, mạng riêng, link-local)"
    if not host_allowed(parts.hostname, allowed_hosts):
        return "máy chủ không nằm trong danh sách được phép của trung tâm"
    return None


def _private_address(host: str) -> bool:
    """A literal address no agency's public receiver has (the cloud metadata address among them).
    Names are not resolved here: that is the network's egress policy's job."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")
    return address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified
