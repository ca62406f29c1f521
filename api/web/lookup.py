"""The citizen's public look-up page /tra-cuu/{code}?k=KEY (issue 16), opened from the receipt's QR
code, and /tra-cuu, a form for typing the code and key from the paper receipt.

No sign-in and nothing personal: the dossier's code, procedure, status in plain words, dates and
the service point. A code that is unknown, a draft's, or paired with a wrong or missing key gets
one and the same page, byte for byte (404); each client address may look up
`settings.lookup.per_minute` times a minute (429 after). Server-rendered HTML with its own
stylesheet: no script runs, and the page works on any phone."""

from __future__ import annotations

import logging
import re
from datetime import date
from html import escape
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.web import PAGE_HEADERS
from intake.lookup import STEP_LABELS, LookupResult, look_up
from intake.ratelimit import SlidingWindowLimiter
from intake.service import IntakeService

LOOKUP_HEADERS = {
    **PAGE_HEADERS,
    "Cache-Control": "no-store",  # a status changes; and the link holds the key
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}

# --- the page's frame ------------------------------------------------------------------------------------


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{escape(title)} — Tra cứu hồ sơ</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/lookup.css">
</head>
<body>
<header class="masthead"><p>Tra cứu tình trạng hồ sơ thủ tục hành chính</p></header>
<main>
{body}
</main>
<footer><p>Trang này không hiển thị thông tin cá nhân của người nộp hồ sơ.</p></footer>
</body>
</html>
"""


FORM = """<form class="ask" method="get" action="/tra-cuu">
<p><label for="ma">Mã hồ sơ</label>
<input id="ma" name="ma" required maxlength="100" autocomplete="off" autocapitalize="characters" spellcheck="false"
 aria-describedby="ma-hint">
<span class="hint" id="ma-hint">In trên giấy tiếp nhận hồ sơ và hẹn trả kết quả.</span></p>
<p><label for="k">Mã tra cứu</label>
<input id="k" name="k" required maxlength="64" autocomplete="off" autocapitalize="characters" spellcheck="false"
 aria-describedby="k-hint">
<span class="hint" id="k-hint">10 ký tự, in trên giấy tiếp nhận ở dòng “Mã tra cứu”.</span></p>
<p><button type="submit">Tra cứu</button></p>
</form>"""

ASK_PAGE = _page(
    "Tra cứu hồ sơ",
    f"""<h1>Tra cứu hồ sơ</h1>
<p>Quét mã QR trên giấy tiếp nhận hồ sơ bằng điện thoại, hoặc nhập mã hồ sơ và mã tra cứu in trên giấy.</p>
{FORM}""",
).encode()

# One page for every miss (unknown code, a draft's, wrong or missing key): nothing to tell them apart.
NOT_FOUND_PAGE = _page(
    "Không tìm thấy hồ sơ",
    f"""<h1>Không tìm thấy hồ sơ</h1>
<p class="lead">Không có hồ sơ nào với mã hồ sơ và mã tra cứu này.</p>
<p>Vui lòng quét lại mã QR trên giấy tiếp nhận hồ sơ, hoặc nhập lại đúng mã hồ sơ và mã tra cứu in trên giấy.
Nếu vẫn không tìm thấy, vui lòng liên hệ bộ phận một cửa nơi đã nộp hồ sơ.</p>
{FORM}""",
).encode()


def _too_many_page(seconds: int) -> bytes:
    return _page(
        "Tra cứu quá nhiều lần",
        f"""<h1>Tra cứu quá nhiều lần</h1>
<p class="lead">Bạn đã tra cứu quá nhiều lần trong một phút.</p>
<p>Vui lòng thử lại sau {seconds} giây.</p>""",
    ).encode()


# --- the dossier's page ----------------------------------------------------------------------------------


def _ddmmyyyy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _steps(found: LookupResult) -> str:
    step = found.status.step
    if step is None:
        return ""
    items = []
    for index, label in enumerate(STEP_LABELS):
        if index < step:
            items.append(f'<li class="done"><span class="sr-only">Đã xong: </span>{escape(label)}</li>')
        elif index == step:
            items.append(f'<li class="current" aria-current="step">{escape(label)}</li>')
        else:
            items.append(f'<li class="todo">{escape(label)}</li>')
    return f'<ol class="steps" aria-label="Các bước giải quyết hồ sơ">{"".join(items)}</ol>'


def _due(found: LookupResult) -> str:
    if found.due_date is None:
        return "Chưa có"
    if found.status.due_paused:
        return (
            "Sẽ tính lại khi hồ sơ được bổ sung đầy đủ"
            f' <span class="was">(hẹn trước đây: {_ddmmyyyy(found.due_date)})</span>'
        )
    return f"<strong>{_ddmmyyyy(found.due_date)}</strong>"


def _fact(term: str, value: str) -> str:
    return f"<div><dt>{escape(term)}</dt><dd>{value}</dd></div>"


def dossier_page(found: LookupResult, checked_at: str) -> bytes:
    status = found.status
    advice = f'<p class="advice">{escape(status.advice)}</p>' if status.advice else ""
    facts = [
        _fact("Ngày hẹn trả kết quả", _due(found)),
        _fact("Ngày tiếp nhận", _ddmmyyyy(found.received_on) if found.received_on else "—"),
        _fact("Nơi tiếp nhận", escape(found.service_point_name)),
        _fact("Trạng thái theo danh mục quốc gia", escape(found.national_status_label)),
    ]
    body = f"""<h1>Hồ sơ <span class="code">{escape(found.code)}</span></h1>
<p class="procedure">{escape(found.procedure_name)}</p>
<section class="status{" attention" if status.attention else ""}" aria-labelledby="h-status">
<h2 id="h-status">Tình trạng hồ sơ</h2>
<p class="headline">{escape(status.headline)}</p>
{advice}
</section>
{_steps(found)}
<dl class="facts">{"".join(facts)}</dl>
<p class="checked">Thông tin lúc {escape(checked_at)}. Tải lại trang để xem tình trạng mới nhất.</p>
<p class="other"><a href="/tra-cuu">Tra cứu hồ sơ khác</a></p>"""
    return _page(f"Hồ sơ {found.code}", body).encode()


# --- the routes --------------------------------------------------------------------------------------


def _html(content: bytes, status_code: int = 200, **extra: str) -> Response:
    return HTMLResponse(content, status_code=status_code, headers={**LOOKUP_HEADERS, **extra})


def install_lookup(app: FastAPI) -> None:
    """Mount the public look-up pages on `app`: GET /tra-cuu and GET /tra-cuu/{code}?k=KEY."""
    limiter = SlidingWindowLimiter(window_seconds=60.0)
    logging.getLogger("uvicorn.access").addFilter(KEY_REDACTION)

    @app.get("/tra-cuu", include_in_schema=False)
    def ask(ma: str | None = None, k: str | None = None) -> Response:
        # The form's answer (GET, no script): on to the dossier's own address.
        if ma and ma.strip():
            target = f"/tra-cuu/{quote(ma.strip().upper(), safe='')}?k={quote((k or '').strip(), safe='')}"
            return RedirectResponse(target, status_code=303, headers=LOOKUP_HEADERS)
        return _html(ASK_PAGE)

    @app.get("/tra-cuu/{code:path}", include_in_schema=False)
    def dossier(request: Request, code: str, k: str | None = None) -> Response:
        service: IntakeService = request.app.state.service
        client = request.client.host if request.client else "?"
        wait = limiter.hit(client, service.ctx.settings.lookup.per_minute)
        if wait is not None:
            return _html(_too_many_page(wait), 429, **{"Retry-After": str(wait)})
        found = look_up(service.ctx, code, k)
        if found is None:
            return _html(NOT_FOUND_PAGE, 404)
        now = service.ctx.clock.now()
        return _html(dossier_page(found, now.strftime("%H:%M %d/%m/%Y")))


class _KeyRedaction(logging.Filter):
    """The server's access log names each request's path: never with a look-up key in it."""

    PATTERN = re.compile(r"([?&]k=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._redacted(a) for a in record.args)
        return True

    def _redacted(self, value: object) -> object:
        if isinstance(value, str) and value.startswith("/tra-cuu"):
            return self.PATTERN.sub(r"\1…", value)
        return value


KEY_REDACTION = _KeyRedaction()
