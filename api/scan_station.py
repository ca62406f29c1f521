"""`sohoa scan-station --watch DIR --counter NAME`: the scan-to-folder hot folder of a counter.

An office scanner writes each scan into DIR; the station sends every file, once complete, to
the dossier open on the clerk's screen (`POST /api/v1/counter/workstations/{NAME}/files`) and
moves it to DIR/da-gui/. A file the server refuses goes to DIR/loi/ with NAME.loi.txt beside it.
Nothing is ever deleted, and nothing is sent twice across restarts:

- DIR is polled (no inotify: network shares too). A file is complete when its size and mtime
  have not changed for `settle` seconds, it opens for reading, and a JPEG, PNG or PDF ends with
  its end marker (a file without one waits `MARKER_GRACE_S` more, then the server judges it).
- The Idempotency-Key is derived from the file's SHA-256 and name, so a resend after a crash
  (the server accepted, the station died before it knew) is answered with the first component.
- A journal (DIR/.sohoa-scan-station.json, written atomically) records an accepted file before
  it is moved, so a crash between acceptance and the move ends in the move, never a resend; and
  it counts finished sends, so the same file copied in again later is a new send.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

DEFAULT_API = "http://127.0.0.1:8000"
SENT_FOLDER = "da-gui"
ERROR_FOLDER = "loi"
JOURNAL_NAME = ".sohoa-scan-station.json"
TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart", ".download")
MARKER_GRACE_S = 60.0  # a JPEG/PNG/PDF without its end marker waits this long before it is sent anyway
BACKOFF_FIRST_S, BACKOFF_MAX_S = 1.0, 30.0  # server down or busy: 1, 2, 4 ... 30 s between tries
NO_DOSSIER_RETRY_S = 1.0
KEEP_FINISHED = 5000  # finished sends remembered (for the key of the same file sent again)
REFUSED_STATUSES = (413, 415, 422)  # the file itself is refused: it goes to loi/
STOP_STATUSES = (400, 401, 403, 404)  # the station's own request is wrong: no file can go
EXIT_OK, EXIT_LEFT = 0, 2  # --once: everything sent / some file kept or refused


class HttpClient(Protocol):
    """What the station needs of its client: an httpx.Client with the API's root as base_url, or
    FastAPI's TestClient (a client of the httpx2 fork, same calls)."""

    def post(self, url: str, *, files: Any = ..., headers: Any = ...) -> Any: ...

    def get(self, url: str, *, headers: Any = ...) -> Any: ...


class StationStopped(Exception):
    """The server refuses the station itself (key, user name): nothing can be sent."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def is_candidate(name: str) -> bool:
    """A file the scanner has finished naming: not hidden, not a name scanners write under."""
    lower = name.lower()
    return not (name.startswith((".", "~")) or lower.endswith(TEMP_SUFFIXES))


def missing_end_marker(data: bytes) -> str | None:
    """For a JPEG, PNG or PDF (its first and last KB are enough): what is missing at its end (the
    file is still being written), or None."""
    tail = data[-1024:].rstrip(b"\x00\r\n\t ")
    if data.startswith(b"\xff\xd8\xff"):
        return None if tail.endswith(b"\xff\xd9") else "JPEG (FFD9)"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None if b"IEND" in tail[-12:] else "PNG (IEND)"
    if b"%PDF-" in data[:1024]:
        return None if b"%%EOF" in tail else "PDF (%%EOF)"
    return None


def idempotency_key(sha256: str, name: str, generation: int = 0) -> str:
    """Stable for one file under one name; `generation` counts earlier finished sends of it."""
    name_hash = hashlib.sha256(unicodedata.normalize("NFC", name).encode("utf-8", "replace")).hexdigest()
    suffix = f"-{generation}" if generation else ""
    return f"scan-{sha256[:40]}-{name_hash[:16]}{suffix}"


def move_aside(path: Path, folder: Path) -> Path:
    """Move `path` into `folder` (made if missing); never over another file: name-1.ext, name-2.ext ..."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 0
    while target.exists():
        n += 1
        target = folder / f"{path.stem}-{n}{path.suffix}"
    os.rename(path, target)
    return target


class Journal:
    """sha256:name → accepted-but-not-moved entries, and counts of finished sends; one JSON file,
    replaced atomically (write, fsync, rename) so a crash leaves the old or the new one."""

    def __init__(self, path: Path, say: Callable[[str], None]) -> None:
        self.path = path
        self.accepted: dict[str, dict] = {}
        self.finished: dict[str, int] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.accepted = dict(data.get("accepted", {}))
            self.finished = {k: int(v) for k, v in data.get("finished", {}).items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            kept = move_aside(path, path.parent / ERROR_FOLDER)
            say(f"Sổ theo dõi {path.name} hỏng ({type(exc).__name__}) — đã chuyển sang {kept}, bắt đầu sổ mới")

    def generation(self, fid: str) -> int:
        return self.finished.get(fid, 0)

    def accept(self, fid: str, entry: dict) -> None:
        self.accepted[fid] = entry
        self.save()

    def finish(self, fid: str) -> None:
        self.accepted.pop(fid, None)
        self.finished[fid] = self.finished.pop(fid, 0) + 1  # newest last
        while len(self.finished) > KEEP_FINISHED:
            del self.finished[next(iter(self.finished))]
        self.save()

    def save(self) -> None:
        text = json.dumps({"version": 1, "accepted": self.accepted, "finished": self.finished}, ensure_ascii=False)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            with contextlib.suppress(OSError):  # some network shares cannot fsync
                os.fsync(fh.fileno())
        os.replace(tmp, self.path)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # clock() when the file was first seen at this size and mtime
    warned: bool = False


@dataclass
class PassResult:
    sent: int = 0
    refused: int = 0
    kept: int = 0  # complete, not sent: no open dossier, server down (sent on a later pass)
    settling: int = 0  # still being written, or not yet still for `settle` seconds
    waiting: int = 0  # complete by size, but without its end marker yet


@dataclass
class _Block:
    until: float = 0.0
    delay: float = 0.0
    reason: str = ""  # what was said about it (said once per episode)


class ScanStation:
    """One watched folder and one clerk. `client` has the API's root as base_url (HttpClient);
    `clock` is monotonic seconds; `say` takes a log line."""

    def __init__(
        self,
        client: HttpClient,
        watch: Path,
        counter: str,
        key: str,
        *,
        settle: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.watch = watch
        self.counter = counter
        self.key = key
        self.settle = settle
        self.clock = clock
        self.say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        self.url = f"/api/v1/counter/workstations/{quote(counter, safe='')}/files"
        self.journal = Journal(watch / JOURNAL_NAME, self.say)
        self.seen: dict[str, _Seen] = {}
        self.block = _Block()
        self.totals = PassResult()
        for fid, entry in list(self.journal.accepted.items()):
            if not (watch / entry.get("name", "")).is_file():  # moved before the crash
                self.journal.finish(fid)

    # --- one pass over the folder ------------------------------------------------------------

    def candidates(self) -> list[tuple[Path, os.stat_result]]:
        found = []
        with os.scandir(self.watch) as entries:
            for entry in entries:
                if is_candidate(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):  # gone since the listing
                        found.append((Path(entry.path), entry.stat(follow_symlinks=False)))
        found.sort(key=lambda item: (item[1].st_mtime_ns, item[0].name))  # scan order: pages stay in order
        return found

    def poll(self) -> PassResult:
        """Look at the folder once; send what is complete, in the order it was scanned."""
        result = PassResult()
        now = self.clock()
        present = self.candidates()
        names = {path.name for path, _ in present}
        self.seen = {name: seen for name, seen in self.seen.items() if name in names}
        for path, stat in present:
            seen = self.seen.get(path.name)
            if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                self.seen[path.name] = _Seen(stat.st_size, stat.st_mtime_ns, now)
                result.settling += 1
                continue
            if now - seen.since < self.settle:
                result.settling += 1
                continue
            if now < self.block.until:
                result.kept += 1
                continue
            try:
                marker = missing_end_marker(_head_and_tail(path))
            except OSError:  # locked by the scanner (Windows shares), or gone
                result.settling += 1
                continue
            if marker and now - seen.since < self.settle + MARKER_GRACE_S:
                if not seen.warned:
                    self.say(f"{path.name}: chưa thấy phần kết thúc {marker} — có lẽ máy quét còn đang ghi, đợi thêm")
                    seen.warned = True
                result.waiting += 1
                continue
            data = self._read_complete(path, seen)
            if data is None:
                result.settling += 1
                continue
            outcome = self._deliver(path, data)
            setattr(result, outcome, getattr(result, outcome) + 1)
            if outcome != "kept":
                self.seen.pop(path.name, None)
        for name in ("sent", "refused"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(result, name))
        return result

    def _read_complete(self, path: Path, seen: _Seen) -> bytes | None:
        """The bytes, if the file opens and did not change while read; None otherwise."""
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            after = os.stat(path)
        except OSError:  # locked by the scanner (Windows shares), or gone
            return None
        if (after.st_size, after.st_mtime_ns) != (seen.size, seen.mtime_ns) or len(data) != seen.size:
            self.seen.pop(path.name, None)
            return None
        return data

    # --- sending -----------------------------------------------------------------------------

    def _deliver(self, path: Path, data: bytes) -> str:
        """Send one complete file: 'sent', 'refused' (moved to loi/) or 'kept' (try again later)."""
        sha = hashlib.sha256(data).hexdigest()
        fid = f"{sha}:{path.name}"
        entry = self.journal.accepted.get(fid)
        if entry is None:  # not known to be accepted: send (again, with the same key, after a crash)
            outcome = self._send(path, data, idempotency_key(sha, path.name, self.journal.generation(fid)))
            if not isinstance(outcome, dict):
                return outcome
            entry = outcome
            self.journal.accept(fid, entry)
        moved = move_aside(path, self.watch / SENT_FOLDER)
        self.journal.finish(fid)
        self.say(self._sent_line(path.name, moved, entry))
        return "sent"

    def _send(self, path: Path, data: bytes, key: str) -> dict | str:
        upload_name = path.name.encode("utf-8", "replace").decode("utf-8")  # undecodable bytes in a name
        headers = {"X-API-Key": self.key, "Idempotency-Key": key}
        try:
            response = self.client.post(self.url, files={"file": (upload_name, data)}, headers=headers)
        except httpx.TransportError as exc:
            self._back_off(f"Không kết nối được máy chủ ({type(exc).__name__})")
            return "kept"
        body = _json(response)
        code = str(body.get("code", f"HTTP_{response.status_code}"))
        message = str(body.get("message") or response.reason_phrase)
        if response.status_code in (200, 201) and "id" in body:
            self.block = _Block()
            return self._entry(path.name, key, body)
        if response.status_code == 409 and code == "NO_OPEN_DOSSIER":
            retry = self.clock() + NO_DOSSIER_RETRY_S
            if self.block.reason != code:
                self.say(f"Chưa có hồ sơ nào đang mở trên màn hình của {self.counter} — tệp được giữ lại")
            self.block = _Block(retry, 0.0, code)
            return "kept"
        if response.status_code in STOP_STATUSES or (response.status_code == 422 and code == "INVALID_REQUEST"):
            raise StationStopped(code, _stop_hint(response.status_code, message, self.counter))
        if response.status_code in REFUSED_STATUSES:
            self._refuse(path, code, message, str(body.get("message_en", "")))
            return "refused"
        self._back_off(f"Máy chủ chưa nhận được tệp ({code}: {message})")
        return "kept"

    def _back_off(self, reason: str) -> None:
        delay = min(BACKOFF_MAX_S, self.block.delay * 2 if self.block.delay else BACKOFF_FIRST_S)
        if self.block.reason != reason:
            self.say(f"{reason} — tệp được giữ lại, thử lại sau {delay:g} giây")
        self.block = _Block(self.clock() + delay, delay, reason)

    def _refuse(self, path: Path, code: str, message: str, message_en: str) -> None:
        moved = move_aside(path, self.watch / ERROR_FOLDER)
        note = moved.with_name(moved.name + ".loi.txt")
        note.write_text(
            unicodedata.normalize("NFC", f"Tệp: {path.name}\nMã lỗi: {code}\nLý do: {message}\nReason: {message_en}\n"),
            encoding="utf-8",
        )
        self.say(f"{path.name}: máy chủ từ chối ({code}: {message}) — đã chuyển sang {ERROR_FOLDER}/{moved.name}")

    def _entry(self, name: str, key: str, body: dict) -> dict:
        """What the journal keeps of an accepted file (what the log line needs; no personal data)."""
        dossier = body.get("dossier_code") or body.get("dossier") or body.get("dossier_id")
        if not dossier:  # the answer does not name it: the dossier open on the screen now
            with contextlib.suppress(httpx.HTTPError, ValueError):
                response = self.client.get(self.url.removesuffix("/files"), headers={"X-API-Key": self.key})
                dossier = _json(response).get("dossier") if response.status_code == 200 else None
        quality = [str(q.get("message", "")) for q in body.get("quality") or [] if isinstance(q, dict)]
        return {
            "name": name,
            "key": key,
            "component": body.get("id"),
            "created": body.get("created", True),
            "dossier": str(dossier) if dossier else None,
            "pages": body.get("page_count"),
            "quality": quality,
        }

    def _sent_line(self, name: str, moved: Path, entry: dict) -> str:
        where = f"hồ sơ {entry['dossier']}" if entry.get("dossier") else "hồ sơ đang mở"
        pages = f"{entry['pages']} trang" if entry.get("pages") is not None else "? trang"
        again = ", đã có sẵn trong hồ sơ" if entry.get("created") is False else ""
        line = f"Đã gửi {name} → {where} ({pages}{again}); chuyển sang {SENT_FOLDER}/{moved.name}"
        return line + "".join(f" | {q}" for q in entry.get("quality") or [])

    # --- the loop ------------------------------------------------------------------------------

    def run(self, *, interval: float = 0.5, once: bool = False, sleep: Callable[[float], None] = time.sleep) -> int:
        """Poll until stopped; with `once`, until nothing found is still being written (at most
        `settle` + 30 s), then exit: 0 when every file was sent, 2 when some were kept or refused."""
        deadline = self.clock() + self.settle + 30.0
        while True:
            result = self.poll()
            if once and (result.settling == 0 or self.clock() >= deadline):
                break
            sleep(max(interval, 0.05))
        left = [path.name for path, _ in self.candidates()]
        if left:
            self.say(f"Còn {len(left)} tệp chưa gửi trong {self.watch}: {', '.join(left[:10])}")
        return EXIT_LEFT if left or self.totals.refused else EXIT_OK


def _head_and_tail(path: Path, size: int = 1024) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(size)
        fh.seek(0, os.SEEK_END)
        fh.seek(max(len(head), fh.tell() - size))
        return head + fh.read(size)


def _json(response: Any) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _stop_hint(status: int, message: str, counter: str) -> str:
    if status == 401:
        return f"{message} — kiểm tra khóa (SOHOA_API_KEY hoặc --key-file)"
    if status == 403:
        return f"{message} — khóa này không phải của nhân viên {counter} (sohoa keys counter {counter} ...)"
    return message


# --- command line --------------------------------------------------------------------------------


def _read_key(args: argparse.Namespace) -> str | None:
    if args.key_file is not None:
        return args.key_file.read_text(encoding="utf-8").strip() or None
    return os.environ.get("SOHOA_API_KEY", "").strip() or None


def cmd_scan_station(args: argparse.Namespace) -> int:
    prefix = "sohoa scan-station"
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if not args.watch.is_dir():
        say(f"{prefix}: FILE_UNREADABLE: --watch {args.watch}: không có thư mục này")
        return EXIT_LEFT
    key = _read_key(args)
    if key is None:
        say(
            f"{prefix}: AUTH_REQUIRED: cần khóa của quầy: đặt SOHOA_API_KEY hoặc --key-file PATH "
            f"(tạo bằng `sohoa keys counter {args.counter} --service-point CODE`)"
        )
        return EXIT_LEFT
    api = args.api or os.environ.get("SOHOA_API_URL") or DEFAULT_API
    with httpx.Client(base_url=api, timeout=httpx.Timeout(120.0, connect=5.0)) as client:
        station = ScanStation(client, args.watch, args.counter, key, settle=args.settle, say=say)
        if not args.once:
            say(f"Trạm quét: theo dõi {args.watch}, gửi đến màn hình của {args.counter} qua {api} (Ctrl-C để dừng)")
        try:
            return station.run(interval=args.interval, once=args.once)
        except StationStopped as stop:
            say(f"{prefix}: {' '.join(str(stop).split())}")
            return EXIT_LEFT
        except KeyboardInterrupt:
            say("Đã dừng trạm quét; tệp chưa gửi vẫn nằm trong thư mục")
            return EXIT_OK


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"invalid seconds {value!r}: 0 to 3600")
    return seconds


def register(sub: argparse._SubParsersAction) -> None:
    station = sub.add_parser(
        "scan-station",
        help="hot folder: send every file a scanner writes into DIR to the dossier open on a clerk's screen",
    )
    station.add_argument("--watch", required=True, type=Path, metavar="DIR", help="the scanner's scan-to-folder")
    station.add_argument("--counter", required=True, metavar="NAME", help="the clerk's user name (the key's holder)")
    station.add_argument("--api", metavar="URL", help=f"the API's address (env SOHOA_API_URL; default {DEFAULT_API})")
    station.add_argument(
        "--key-file", type=Path, metavar="PATH", help="file holding the counter key (or SOHOA_API_KEY)"
    )
    station.add_argument("--interval", type=_seconds, default=0.5, metavar="S", help="seconds between looks (0.5)")
    station.add_argument("--settle", type=_seconds, default=1.0, metavar="S", help="seconds a file must stay still (1)")
    station.add_argument("--once", action="store_true", help="send what is there, then exit (scripts, tests)")
    station.set_defaults(func=cmd_scan_station)
