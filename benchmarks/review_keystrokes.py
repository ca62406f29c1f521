"""The review screen driven the way a reviewer would, against typing every field by hand.

    .venv/bin/python -m benchmarks.review_keystrokes [--seed 7301] [--dossiers 8] [--retype 2]
        [--out out/review_keystrokes.json] [--keys-per-s 2.5]

Held-out dossiers (a CCCD front card and a form of one citizen: tờ khai khai sinh, đơn or CT01,
each at a level among clean, scanned and photo) are drawn from the generator, whose truth is
known for every field, submitted by a counter clerk through the JSON API to a real `sohoa
serve` (real reading, one Ray worker) and read. A reviewer then works the review screen in
Chromium at 1366×768 with the keyboard alone: N on the queue opens the next dossier; for the
selected doubtful field the script reads the value on screen (#value), the candidates
(#candidates li[data-key]) and the truth, and presses Enter (the value is right), the
candidate's digit (a candidate is right) or types the truth and Enter; Ctrl+Enter approves.
It never touches a field shown `ok` (a reviewer trusts it) but counts the ones whose value is
wrong: errors review leaves behind.

The baseline types every field by hand: the truth's characters plus one key to move on, per
field; seconds at `--keys-per-s`. `--retype` more dossiers are driven that way on the same
screen (every field retyped), so that its machine time is measured as well. The oracle knows
the truth: this measures the cost of the interaction, not a person's reading time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.dataset import HELD_OUT_SEED
from loopback.browser import CHROMIUM, CHROMIUM_ARGS
from pipeline.fields.values import normalize_value

if TYPE_CHECKING:
    import httpx
    from playwright.sync_api import Page, ViewportSize

ROOT = Path(__file__).resolve().parent.parent
SOHOA = str(Path(sys.executable).parent / "sohoa")
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
SCREENSHOT = ROOT / "out" / "screenshots" / "review-benchmark.png"

SERVICE_POINT = "HN-HOANKIEM"
CARD_KIND = "cccd_front"
# The form of each dossier, in turn, with a procedure whose checklist asks for it and the card.
FORMS = (("to_khai_khai_sinh", "1.001193"), ("don", "2.000635"), ("ct01", "2.000815"))
LEVELS = ("clean", "scanned", "photo")
MISSING_REASON = "Giấy tờ còn lại công dân bổ sung sau (hồ sơ đo kiểm)."
COUNTER = ("bench.quay", "Mật-khẩu-quầy-đo-1!", "Nguyễn Thị Đo")
REVIEWER = ("bench.kiemtra", "Mật-khẩu-kiểm-tra-1!", "Trần Văn Kiểm")
DOUBTFUL = ("needs_review", "invalid")
READ_STATES = ("needs_review", "needs_attention")
# Typing speed of the by-hand estimate: 9,000 keystrokes an hour, between the 8,000 KPH often
# quoted as the data-entry average and the 10,000 KPH employers ask for; stated, not measured
# on people. FAST_KEYS_PER_S: 52 words a minute, the mean of 168,000 typists copying sentences
# (Dhakal et al., CHI 2018), 5 characters a word: the by-hand estimate at its most favourable.
KEYS_PER_S = 2.5
FAST_KEYS_PER_S = 52 * 5 / 60


# --- values and the oracle's plan (pure) ----------------------------------------------------------


def stored_form(name: str, value: str) -> str:
    """A value as the product stores it for field `name` (NFC, dates DD/MM/YYYY, phone digits…)."""
    return normalize_value(name, value)


def same_value(name: str, shown: str, truth: str) -> bool:
    return stored_form(name, shown) == stored_form(name, truth)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the reviewer does on one selected field: `keys` pressed, then `text` typed, then `after`."""

    action: str  # confirm | pick | type
    keys: tuple[str, ...] = ()
    text: str = ""
    after: tuple[str, ...] = ()

    @property
    def keystrokes(self) -> int:
        """A chord (Control+A) is one keystroke, as is each typed character."""
        return len(self.keys) + len(self.text) + len(self.after)


def typing_plan(text: str, candidates: Sequence[str]) -> Plan:
    """`text` typed over the selected value, then Enter. The screen selects the whole value, so
    typing replaces it; but a first digit 1-9 with a candidate of that number would pick the
    candidate: Backspace first clears the value and starts editing."""
    first = text[:1]
    picks = first in "123456789" and first != "" and int(first) <= min(len(candidates), 9)
    return Plan("type", ("Backspace",) if picks else (), text, ("Enter",))


def plan_field(name: str, shown: str, candidates: Sequence[str], truth: str | None) -> Plan:
    """The fewest keys that leave the truth in a doubtful field: Enter when the value shown is
    right, the digit of the first right candidate, else the truth typed and Enter. Without a
    truth (a field the generator did not write) the reading is confirmed."""
    if truth is None or same_value(name, shown, truth):
        return Plan("confirm", ("Enter",))
    for key, candidate in enumerate(candidates[:9], start=1):
        if same_value(name, candidate, truth):
            return Plan("pick", (str(key),))
    return typing_plan(truth, candidates)


# Fields the reader names after the form's own label (its slug), where the generator's truth
# uses another name: (document kind, field name on screen) → name in the truth.
TRUTH_NAMES = {
    ("to_khai_khai_sinh", "ho_chu_dem_ten_nguoi_yeu_cau"): "ho_ten_nguoi_yeu_cau",
    ("to_khai_khai_sinh", "quan_he_voi_nguoi_duoc_khai_sinh"): "quan_he",
    ("ct01", "ho_chu_dem_va_ten_chu_ho"): "ho_ten_chu_ho",
    ("ct01", "moi_quan_he_voi_chu_ho"): "quan_he_chu_ho",
}


def truth_name(kind: str, name: str, truth: dict[str, str]) -> str | None:
    """The generator's name for field `name` of a `kind` document; None where it wrote no such field."""
    if name in truth:
        return name
    other = TRUTH_NAMES.get((kind, name))
    return other if other in truth else None


def truth_value(kind: str, name: str, truth: dict[str, str]) -> str | None:
    known = truth_name(kind, name, truth)
    return truth[known] if known is not None else None


# Telex, the usual Vietnamese input method: a vowel's hat, breve or horn is one more key (aa, aw,
# uw…), a tone mark one more (s f r x j), đ is dd.
_TELEX_MARKS = frozenset("\u0302\u0306\u031b\u0300\u0301\u0303\u0309\u0323")


def telex_keys(text: str) -> int:
    """Keys to type `text` with Telex (Shift not counted: a chord, like the screen's keys)."""
    keys = 0
    for char in unicodedata.normalize("NFD", text):
        keys += 1 if char in _TELEX_MARKS or not unicodedata.combining(char) else 0
        keys += char in "đĐ"
    return keys


def by_hand_keys(values: Sequence[str]) -> int:
    """Typing every value in full and one key (Tab/Enter) to move to the next field."""
    return sum(len(v) + 1 for v in values)


def by_hand_telex_keys(values: Sequence[str]) -> int:
    return sum(telex_keys(v) + 1 for v in values)


# --- the dossiers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Paper:
    filename: str
    kind: str
    level: str
    data: bytes
    truth: dict[str, str]  # field name → value as printed

    @property
    def mime(self) -> str:
        return "image/png" if self.filename.endswith(".png") else "image/jpeg"


@dataclass(frozen=True, slots=True)
class DossierPlan:
    index: int
    mode: str  # review | retype
    procedure: str
    applicant: dict[str, str]
    papers: tuple[Paper, ...]


def levels_of(index: int) -> tuple[str, str]:
    """(card level, form level) of dossier `index`: never the same two, turned one step further
    every round of forms, so that each form meets every level."""
    shift = index + index // len(FORMS)
    return LEVELS[shift % len(LEVELS)], LEVELS[(shift + 1) % len(LEVELS)]


def make_dossiers(seed: int, review: int, retype: int, handwriting: float = 0.0) -> list[DossierPlan]:
    """`review` + `retype` dossiers: one citizen's card and form each (same person: the
    generator draws the card's and the forms' holder from the same seed); each value of a
    form is written by hand with probability `handwriting`."""
    from samples.generate import generate_document, person_for, sub_seed

    plans = []
    for i in range(review + retype):
        doc_seed = sub_seed(seed, "review-keystrokes", i) % 2**63
        form, procedure = FORMS[i % len(FORMS)]
        card_level, form_level = levels_of(i)
        papers = []
        for n, (kind, level) in enumerate(((CARD_KIND, card_level), (form, form_level)), start=1):
            doc = generate_document(kind, level, doc_seed, handwriting=handwriting if kind != CARD_KIND else 0.0)
            truth = {name: spec["value"] for name, spec in doc.truth["fields"].items()}
            papers.append(Paper(f"{n:02d}-{kind}.{doc.extension}", kind, level, doc.page_files[0], truth))
        person = person_for(CARD_KIND, doc_seed)
        applicant = {"full_name": person.full_name, "id_number": person.id12}
        plans.append(DossierPlan(i, "review" if i < review else "retype", procedure, applicant, tuple(papers)))
    return plans


# --- the server --------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"


def _add_user(env: dict[str, str], who: tuple[str, str, str], role: str, point: str | None) -> None:
    args = [SOHOA, "users", "add", who[0], "--role", role, "--full-name", who[2], "--password-stdin"]
    args += ["--service-point", point] if point else []
    done = subprocess.run(args, env=env, input=who[1] + "\n", capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmarks.review_keystrokes: sohoa users add {who[0]}: {done.stderr[-1000:]}")


def _processes_using(directory: Path) -> list[int]:
    """Our server's Ray processes: they rename themselves, but keep files in its temp dir."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            targets = [os.readlink(proc / "cwd")] + [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:
            continue
        if str(directory) in command or any(t.startswith(f"{directory}/") for t in targets):
            found.append(int(proc.name))
    return found


@contextmanager
def running_server(work: Path) -> Iterator[Server]:
    """`sohoa serve` on loopback with embedded SQLite, local storage and one Ray worker."""
    import httpx

    from loopback.ports import free_port

    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-rk-", dir="/tmp"))  # short: Ray's socket paths
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(work / "data"),
        "SOHOA_CACHE_DIR": str(work / "cache"),
        "SOHOA_RAY__TEMP_DIR": str(ray_dir),
        "SOHOA_RAY__WORKERS": "1",
    }
    _add_user(env, COUNTER, "counter", SERVICE_POINT)
    _add_user(env, REVIEWER, "reviewer", None)
    port = free_port()
    log = work / "serve.log"
    process = subprocess.Popen(
        [SOHOA, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )
    server = Server(f"http://127.0.0.1:{port}", env, process, log)
    try:
        deadline = time.monotonic() + 180
        with httpx.Client(timeout=10) as http:
            while True:
                with suppress(httpx.TransportError):
                    if http.get(f"{server.url}/signin").status_code == 200:
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"benchmarks.review_keystrokes: sohoa serve did not start:\n{log.read_text()[-3000:]}"
                    )
                time.sleep(0.3)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in _processes_using(ray_dir):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(ray_dir, ignore_errors=True)


# --- the counter: submitting through the JSON API ---------------------------------------------------


@contextmanager
def _signed_in(server: Server, who: tuple[str, str, str]) -> Iterator[httpx.Client]:
    """An HTTP client with `who`'s session cookie and CSRF token."""
    import httpx

    with httpx.Client(base_url=server.api, timeout=60) as client:
        answer = client.post("/session", json={"username": who[0], "password": who[1]})
        answer.raise_for_status()
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        yield client


@dataclass
class Submitted:
    plan: DossierPlan
    code: str
    public_id: str
    components: dict[int, Paper]  # component id → the paper uploaded as it


def submit_all(server: Server, plans: Sequence[DossierPlan]) -> list[Submitted]:
    done = []
    with _signed_in(server, COUNTER) as client:
        for plan in plans:
            body = {"procedure_code": plan.procedure, "service_point_code": SERVICE_POINT, "applicant": plan.applicant}
            created = client.post("/dossiers", json=body)
            created.raise_for_status()
            ref = created.json()["id"]
            components = {}
            for paper in plan.papers:
                uploaded = client.post(
                    f"/dossiers/{ref}/files",
                    files={"file": (paper.filename, paper.data, paper.mime)},
                    data={"source": "scan"},
                )
                uploaded.raise_for_status()
                components[uploaded.json()["id"]] = paper
            submitted = client.post(f"/dossiers/{ref}/submit", json={"missing_reason": MISSING_REASON})
            submitted.raise_for_status()
            done.append(Submitted(plan, submitted.json()["code"], ref, components))
    return done


def wait_read(server: Server, dossiers: Sequence[Submitted], timeout: float) -> float:
    """Seconds until every dossier waits for review (real reading, one worker)."""
    started = time.monotonic()
    with _signed_in(server, COUNTER) as client:
        waiting = {d.public_id for d in dossiers}
        while waiting:
            for ref in sorted(waiting):
                answer = client.get(f"/dossiers/{ref}")
                answer.raise_for_status()
                if answer.json()["state"] in READ_STATES:
                    waiting.discard(ref)
            if waiting and time.monotonic() - started > timeout:
                raise SystemExit(f"benchmarks.review_keystrokes: {len(waiting)} dossiers not read in {timeout:.0f} s")
            time.sleep(2)
    return time.monotonic() - started


# --- the reviewer: the screen in Chromium, keyboard only ------------------------------------------------

SNAPSHOT = """() => {
    const fields = [...document.querySelectorAll('#fields li.field')].map((li) => ({
        component: Number(li.dataset.component), part: Number(li.dataset.part || 0), name: li.dataset.name,
        status: li.dataset.status, version: li.dataset.version || '',
        selected: li.getAttribute('aria-selected') === 'true',
    }));
    const input = document.querySelector('#value');
    const candidates = [...document.querySelectorAll('#candidates li[data-key]')].map(
        (li) => li.dataset.value ?? (li.querySelector('.cand-value')?.textContent ?? li.textContent));
    const message = document.querySelector('#message');
    return {
        fields, value: input ? input.value : null, candidates,
        check: document.querySelector('#check')?.textContent?.trim() || '',
        error: message && !message.hidden && message.classList.contains('error') ? message.textContent.trim() : '',
    };
}"""


@dataclass
class ScreenField:
    component: int
    part: int
    name: str
    status: str
    version: str
    selected: bool

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.component, self.part, self.name)


@dataclass
class Screen:
    fields: list[ScreenField]
    value: str | None
    candidates: list[str]
    check: str
    error: str

    @property
    def selected(self) -> ScreenField | None:
        return next((f for f in self.fields if f.selected), None)

    def state_of(self, key: tuple[int, int, str]) -> tuple[str, str] | None:
        return next(((f.status, f.version) for f in self.fields if f.key == key), None)

    def took(self, before: Screen) -> bool:
        """Whether the screen has dealt with the key pressed on `before`: the selection moved on,
        the selected field was saved, or a new error says why not. Not the value being typed, nor
        the inline check: a typed value is saved only once its check answers, and a key pressed
        before the selection moves would abandon that save."""
        chosen = before.selected
        if chosen is None:
            return self.selected is not None
        return (
            self.selected is None
            or self.selected.key != chosen.key
            or self.state_of(chosen.key) != before.state_of(chosen.key)
            or (bool(self.error) and self.error != before.error)
        )


def read_screen(page: Page) -> Screen:
    raw = page.evaluate(SNAPSHOT)
    return Screen(
        [ScreenField(**f) for f in raw["fields"]],
        raw["value"],
        [c.strip() for c in raw["candidates"]],
        raw["check"],
        raw["error"],
    )


@dataclass
class Keys:
    """Keystrokes by what they were for (a chord such as Ctrl+Enter counts as one)."""

    open: int = 0  # N on the queue
    move: int = 0  # ↑/↓ to reach a field
    confirm: int = 0  # Enter on a right value
    pick: int = 0  # a candidate's digit
    edit: int = 0  # Backspace before typing, Esc after a refusal
    typed: int = 0  # characters of typed values
    typed_telex: int = 0  # the same typed with Telex
    save: int = 0  # Enter after typing
    approve: int = 0
    send_back: int = 0  # F8, the note, Ctrl+Enter, Esc: a dossier the oracle could not settle

    @property
    def total(self) -> int:
        return (
            self.open
            + self.move
            + self.confirm
            + self.pick
            + self.edit
            + self.typed
            + self.save
            + self.approve
            + self.send_back
        )

    @property
    def total_telex(self) -> int:
        return self.total - self.typed + self.typed_telex


@dataclass
class DossierResult:
    index: int
    mode: str
    code: str
    form: str
    levels: list[str]
    fields: int = 0  # fields shown on the screen
    fields_with_truth: int = 0
    truth_not_shown: int = 0  # fields of the generator's truth the reader did not find
    shown_doubtful: int = 0
    touched: int = 0
    confirmed: int = 0
    picked: int = 0
    typed: int = 0
    ok_wrong: int = 0  # shown ok, never touched, value ≠ truth: left wrong by review
    doubtful_wrong: int = 0  # touched by the reviewer, still ≠ truth after review
    refused: int = 0  # the screen would not take the truth (its check failed)
    unsettled: int = 0  # no truth known, and the screen would not take the reading as it is
    approved: bool = False
    sent_back: bool = False
    seconds: float = 0.0
    keys: Keys = field(default_factory=Keys)
    by_hand_keys: int = 0
    by_hand_telex_keys: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def touched_share(self) -> float:
        return self.touched / self.fields if self.fields else 0.0


class Reviewer:
    """One Chromium page, signed in as the reviewer, working the queue with page.keyboard."""

    def __init__(self, page: Page, server: Server, dossiers: Sequence[Submitted]) -> None:
        self.page = page
        self.server = server
        self.by_code = {d.code: d for d in dossiers}
        self.opened: set[str] = set()
        self.shot = ""  # what the screenshot shows: "" none yet, "doubtful", "candidates"
        self.paused = 0.0  # seconds spent on screenshots, not counted as work

    def sign_in(self) -> None:
        page = self.page
        page.goto(f"{self.server.url}/signin")
        page.get_by_label("Tên đăng nhập").fill(REVIEWER[0])
        page.get_by_label("Mật khẩu").fill(REVIEWER[1])
        page.get_by_label("Mật khẩu").press("Enter")
        page.wait_for_url(lambda url: "/signin" not in url, timeout=30_000)
        if not page.url.rstrip("/").endswith("/kiem-tra"):
            page.goto(f"{self.server.url}/kiem-tra")

    def _press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def _settled(self, before: Screen, timeout_s: float = 20.0) -> Screen:
        """The screen once it has taken the key pressed on `before` (or after `timeout_s`)."""
        deadline = time.monotonic() + timeout_s
        while True:
            screen = read_screen(self.page)
            if screen.took(before) or time.monotonic() > deadline:
                return screen
            self.page.wait_for_timeout(25)

    def open_next(self) -> tuple[Submitted, float]:
        page = self.page
        page.wait_for_selector("body.ready", state="attached", timeout=30_000)
        page.wait_for_selector("#queue tbody tr[data-code]", timeout=30_000)
        started = time.perf_counter()
        self._press("n")
        page.wait_for_url(lambda url: "/kiem-tra/" in url, timeout=30_000)
        page.wait_for_selector("body.ready #fields li.field", state="attached", timeout=60_000)
        code = page.url.split("/kiem-tra/", 1)[1].split("?")[0]
        from urllib.parse import unquote

        code = unquote(code)
        if code in self.opened:
            raise RuntimeError(f"{code} opened again: its review did not end")
        self.opened.add(code)
        return self.by_code[code], started

    def work(self) -> DossierResult:
        dossier, started = self.open_next()
        self.paused = 0.0
        plan = dossier.plan
        result = DossierResult(plan.index, plan.mode, dossier.code, plan.papers[1].kind, [p.level for p in plan.papers])
        result.keys.open = 1
        first = read_screen(self.page)
        self._tally(dossier, first, result)
        handled: set[tuple[int, int, str]] = set()
        for _step in range(6 * len(first.fields) + 10):
            screen = read_screen(self.page)
            # Reviewing: the doubtful fields. Retyping: also every field whose truth is known
            # (the fields the by-hand count types).
            todo = [
                f
                for f in screen.fields
                if f.key not in handled
                and (f.status in DOUBTFUL or (plan.mode == "retype" and self.truth_of(dossier, f) is not None))
            ]
            if not todo:
                break
            chosen = screen.selected
            if chosen is None or chosen.key not in {f.key for f in todo}:
                self._move_towards(screen, todo[0], result)
                continue
            self._resolve(dossier, chosen, screen, result)
            handled.add(chosen.key)
        self._finish(result)
        result.seconds = time.perf_counter() - started - self.paused
        self._score_after(dossier, result)
        return result

    def _move_towards(self, screen: Screen, target: ScreenField, result: DossierResult) -> None:
        keys = [f.key for f in screen.fields]
        at = keys.index(screen.selected.key) if screen.selected is not None else -1
        before = screen
        self._press("ArrowDown" if keys.index(target.key) > at else "ArrowUp")
        result.keys.move += 1
        self._settled(before, 5.0)

    def _plan(self, dossier: Submitted, chosen: ScreenField, screen: Screen) -> Plan:
        truth = self.truth_of(dossier, chosen)
        if dossier.plan.mode == "retype" and truth is not None:  # typed in full, even when right
            return typing_plan(truth, screen.candidates)
        return plan_field(chosen.name, screen.value or "", screen.candidates, truth)

    def _resolve(self, dossier: Submitted, chosen: ScreenField, screen: Screen, result: DossierResult) -> None:
        plan = self._plan(dossier, chosen, screen)
        if dossier.plan.mode == "review":
            self._screenshot(screen)
        before = screen
        for key in plan.keys:
            self._press(key)
        if plan.text:
            self.page.keyboard.type(plan.text)
        for key in plan.after:
            self._press(key)
        self._count(plan, result)
        after = self._settled(before)
        if after.selected is not None and after.selected.key == chosen.key and after.error:
            # The screen refused it (a failed check, or a save that failed): undo, note, go on.
            # A truth refused is the product's doing; a reading without truth refused, the oracle's.
            if self.truth_of(dossier, chosen) is not None:
                result.refused += 1
            else:
                result.unsettled += 1
            result.notes.append(f"{chosen.name}: {after.error} {after.check}".strip())
            self._press("Escape")
            result.keys.edit += 1

    @staticmethod
    def _count(plan: Plan, result: DossierResult) -> None:
        k = result.keys
        if plan.action == "confirm":
            k.confirm += 1
            result.confirmed += 1
        elif plan.action == "pick":
            k.pick += 1
            result.picked += 1
        else:
            k.edit += len(plan.keys)
            k.typed += len(plan.text)
            k.typed_telex += telex_keys(plan.text)
            k.save += len(plan.after)
            result.typed += 1
        result.touched += 1

    def _screenshot(self, screen: Screen) -> None:
        """The first doubtful field in view, replaced once by the first with candidates to pick."""
        wanted = "candidates" if screen.candidates else "doubtful"
        if self.shot == "candidates" or self.shot == wanted:
            return
        t0 = time.perf_counter()
        with suppress(Exception):  # the crop is only wanted in the picture; the work goes on without it
            self.page.wait_for_function(
                "() => { const i = document.querySelector('#crop img');"
                " return !i || i.hidden || (i.complete && i.naturalWidth > 0); }",
                timeout=5_000,
            )
        self.page.wait_for_timeout(800)  # the page image in the viewer
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOT))
        self.shot = wanted
        self.paused += time.perf_counter() - t0

    def _finish(self, result: DossierResult) -> None:
        """Approve; if a field is still doubtful (a confirmation the server refused, found when
        its answer came back), pick a candidate for it first; failing that, send the dossier
        back, as a reviewer who cannot settle a value would (and the next N opens another)."""
        if not self._approvable():
            self._pick_for_the_rest(result)
        if self._approvable():
            result.approved = self._approve(result)
        else:
            result.sent_back = self._send_back(result)

    def _approvable(self, timeout_s: float = 15.0) -> bool:
        """Whether the approve button is enabled once the saves in flight have landed."""
        deadline = time.monotonic() + timeout_s
        while True:
            ready = self.page.evaluate(
                "() => [!document.querySelector('#approve').disabled,"
                " /lưu/i.test(document.querySelector('#approve-why')?.textContent || '')]"
            )
            if ready[0] or not ready[1] or time.monotonic() > deadline:
                return bool(ready[0])
            self.page.wait_for_timeout(50)

    def _pick_for_the_rest(self, result: DossierResult) -> None:
        for _ in range(20):
            screen = read_screen(self.page)
            left = [f for f in screen.fields if f.status in DOUBTFUL]
            if not left:
                return
            target = left[0]
            if screen.selected is None or screen.selected.key != target.key:
                self._move_towards(screen, target, result)
                continue
            other = next(
                (
                    n
                    for n, c in enumerate(screen.candidates[:9], 1)
                    if not same_value(target.name, c, screen.value or "")
                ),
                None,
            )
            if other is None:
                result.notes.append(f"{target.name}: no value the screen takes")
                return
            self._press(str(other))
            result.keys.pick += 1
            result.picked += 1
            result.notes.append(f"{target.name}: refused as read, candidate {other} picked")
            self._settled(screen)
            if not self._approvable(5.0) and read_screen(self.page).state_of(target.key) == screen.state_of(target.key):
                return

    def _approve(self, result: DossierResult) -> bool:
        before = read_screen(self.page)
        self._press("Control+Enter")
        result.keys.approve += 1
        try:
            self.page.wait_for_url(lambda url: "da-duyet=" in url, timeout=60_000)
        except Exception:  # noqa: BLE001 - any way it fails, the screen says why
            screen = self._settled(before, 1.0)
            result.notes.append(f"not approved: {screen.error or screen.check or 'no answer'}")
            return False
        return True

    def _send_back(self, result: DossierResult) -> bool:
        """F8, what is wrong (field names only: no personal data), Ctrl+Enter, Esc to the queue."""
        names = ", ".join(f.name for f in read_screen(self.page).fields if f.status in DOUBTFUL)
        text = f"Không xác định được giá trị: {names or 'không rõ'}"
        self._press("F8")
        self.page.wait_for_selector("#send-back-dialog[open] #sb-items", timeout=10_000)
        self.page.keyboard.type(text)
        self._press("Control+Enter")
        result.keys.send_back += 2 + len(text)
        try:
            self.page.wait_for_selector("#sb-done:not([hidden])", timeout=30_000)
            self._press("Escape")
            result.keys.send_back += 1
            self.page.wait_for_url(lambda url: "da-tra-ve=" in url, timeout=30_000)
        except Exception:  # noqa: BLE001 - the run stops after a dossier neither approved nor sent back
            result.notes.append("send-back failed")
            return False
        result.notes.append(f"sent back: {names}")
        return True

    def truth_of(self, dossier: Submitted, f: ScreenField) -> str | None:
        paper = dossier.components.get(f.component)
        return truth_value(paper.kind, f.name, paper.truth) if paper is not None and f.part == 0 else None

    def _tally(self, dossier: Submitted, screen: Screen, result: DossierResult) -> None:
        result.fields = len(screen.fields)
        result.shown_doubtful = sum(f.status in DOUBTFUL for f in screen.fields)
        values, covered = [], set()
        for f in screen.fields:
            truth = self.truth_of(dossier, f)
            if truth is not None:
                paper = dossier.components[f.component]
                covered.add((f.component, truth_name(paper.kind, f.name, paper.truth)))
                values.append(truth)
        result.fields_with_truth = len(values)
        result.truth_not_shown = sum(
            (cid, name) not in covered for cid, paper in dossier.components.items() for name in paper.truth
        )
        result.by_hand_keys = by_hand_keys(values)
        result.by_hand_telex_keys = by_hand_telex_keys(values)

    def _score_after(self, dossier: Submitted, result: DossierResult) -> None:
        """Values as stored after review (the API): the wrong ones review left behind."""
        answer = self.page.request.get(f"{self.server.api}/review/dossiers/{dossier.public_id}")
        if not answer.ok:
            result.notes.append(f"after review: HTTP {answer.status}")
            return
        for component in answer.json()["components"]:
            paper = dossier.components.get(component["id"])
            for f in component["fields"]:
                if paper is None or f.get("part", 0) != 0:
                    continue
                truth = truth_value(paper.kind, f["name"], paper.truth)
                if truth is None or same_value(f["name"], f["value"], truth):
                    continue
                if f["edits"] or "reviewer" in f["sources"]:
                    result.doubtful_wrong += 1
                else:
                    result.ok_wrong += 1


def review_all(server: Server, dossiers: Sequence[Submitted]) -> list[DossierResult]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
            page = context.new_page()
            reviewer = Reviewer(page, server, dossiers)
            reviewer.sign_in()
            for n in range(len(dossiers)):
                try:
                    result = reviewer.work()
                except Exception as exc:  # noqa: BLE001 - report what was measured so far
                    print(f"  stopped: {exc}", file=sys.stderr)
                    page.screenshot(path=str(SCREENSHOT.with_name("review-benchmark-stopped.png")))
                    break
                results.append(result)
                print(
                    f"  {n + 1}/{len(dossiers)} {result.mode}: {result.keys.total} keys, {result.seconds:.1f} s, "
                    f"touched {result.touched}/{result.fields}, approved {result.approved}",
                    file=sys.stderr,
                )
                if not (result.approved or result.sent_back):
                    break  # still in the queue: the next N would open it again
        finally:
            browser.close()
    return results


# --- report --------------------------------------------------------------------------------------


def summarise(results: Sequence[DossierResult], keys_per_s: float) -> dict[str, Any]:
    review = [r for r in results if r.mode == "review"]
    retype = [r for r in results if r.mode == "retype"]

    def total(rows: Sequence[DossierResult], name: str) -> float:
        return sum(getattr(r, name) for r in rows)

    fields = int(total(review, "fields"))
    keys = sum(r.keys.total for r in review)
    by_hand = int(total(review, "by_hand_keys"))
    summary: dict[str, Any] = {
        "dossiers": len(review),
        "approved": sum(r.approved for r in review),
        "sent_back": sum(r.sent_back for r in review),
        "fields": fields,
        "fields_with_truth": int(total(review, "fields_with_truth")),
        "shown_doubtful": int(total(review, "shown_doubtful")),
        "touched": int(total(review, "touched")),
        "touched_share": total(review, "touched") / fields if fields else 0.0,
        "keystrokes": keys,
        "keystrokes_telex": sum(r.keys.total_telex for r in review),
        "seconds_wall": total(review, "seconds"),
        "review_keying_seconds_estimate": keys / keys_per_s,
        "by_hand_keystrokes": by_hand,
        "by_hand_telex_keystrokes": int(total(review, "by_hand_telex_keys")),
        "by_hand_seconds_estimate": by_hand / keys_per_s,
        "by_hand_seconds_estimate_fast": by_hand / FAST_KEYS_PER_S,
        "keystroke_ratio": keys / by_hand if by_hand else None,
        "ok_wrong": int(total(review, "ok_wrong")),
        "doubtful_wrong": int(total(review, "doubtful_wrong")),
        "refused": int(total(review, "refused")),
        "unsettled": int(total(review, "unsettled")),
        "truth_not_shown": int(total(review, "truth_not_shown")),
    }
    if retype:
        summary["retype"] = {
            "dossiers": len(retype),
            "fields": int(total(retype, "fields")),
            "keystrokes": sum(r.keys.total for r in retype),
            "seconds_wall": total(retype, "seconds"),
            "by_hand_keystrokes": int(total(retype, "by_hand_keys")),
        }
    return summary


def markdown(results: Sequence[DossierResult], summary: dict[str, Any], keys_per_s: float) -> str:
    lines = [
        "| # | dossier | form | levels (card, form) | fields | doubtful | touched | keys | s (wall) "
        "| by hand: keys | by hand: s est. | ok but wrong | wrong after review |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.mode != "review":
            continue
        lines.append(
            f"| {r.index + 1} | {r.code} | {r.form} | {', '.join(r.levels)} | {r.fields} | {r.shown_doubtful} "
            f"| {r.touched} ({r.touched_share:.0%}) | {r.keys.total} | {r.seconds:.1f} | {r.by_hand_keys} "
            f"| {r.by_hand_keys / keys_per_s:.0f} | {r.ok_wrong} | {r.doubtful_wrong} |"
        )
    s = summary
    lines.append(
        f"| | **all** | | | {s['fields']} | {s['shown_doubtful']} | {s['touched']} ({s['touched_share']:.0%}) "
        f"| {s['keystrokes']} | {s['seconds_wall']:.1f} | {s['by_hand_keystrokes']} "
        f"| {s['by_hand_seconds_estimate']:.0f} | {s['ok_wrong']} | {s['doubtful_wrong']} |"
    )
    return "\n".join(lines)


def findings(summary: dict[str, Any], keys_per_s: float) -> list[str]:
    """The totals in words, one line each (markdown list items)."""
    s = summary
    n = max(s["dossiers"], 1)
    lines = [
        f"- {s['dossiers']} dossiers reviewed, {s['approved']} approved, {s['sent_back']} sent back; "
        f"{s['fields']} fields on screen "
        f"({s['fields_with_truth']} with a known truth), {s['shown_doubtful']} shown doubtful.",
        f"- Fields touched: {s['touched']} = {s['touched_share']:.1%} of the fields.",
        f"- Keystrokes: {s['keystrokes']} reviewing ({s['keystrokes'] / n:.1f} a dossier) against "
        f"{s['by_hand_keystrokes']} typing every field by hand ({s['by_hand_keystrokes'] / n:.0f} a dossier): "
        f"{(s['keystroke_ratio'] or 0):.1%}. With Telex marks: {s['keystrokes_telex']} against "
        f"{s['by_hand_telex_keystrokes']}.",
        f"- Seconds: {s['seconds_wall']:.1f} s of screen time reviewing ({s['seconds_wall'] / n:.1f} s a dossier, "
        f"scripted); keying the review at {keys_per_s:g} keys/s: {s['review_keying_seconds_estimate']:.0f} s; "
        f"typing by hand at {keys_per_s:g} keys/s: {s['by_hand_seconds_estimate']:.0f} s "
        f"({s['by_hand_seconds_estimate'] / n:.0f} s a dossier), at {FAST_KEYS_PER_S:.1f} keys/s: "
        f"{s['by_hand_seconds_estimate_fast']:.0f} s.",
        f"- Left wrong after review: {s['ok_wrong']} values shown ok (never touched), {s['doubtful_wrong']} "
        f"touched; {s['refused']} typed truths refused by the screen; {s['unsettled']} readings without a "
        f"known truth the screen would not confirm; {s['truth_not_shown']} truth fields the reader did not "
        "find (not on screen, not counted).",
    ]
    if "retype" in s:
        r = s["retype"]
        m = max(r["dossiers"], 1)
        lines.append(
            f"- Retyping every field on the screen ({r['dossiers']} more dossiers, {r['fields']} fields): "
            f"{r['keystrokes']} keystrokes ({r['keystrokes'] / m:.0f} a dossier; the by-hand count for them: "
            f"{r['by_hand_keystrokes']}), {r['seconds_wall']:.1f} s of screen time ({r['seconds_wall'] / m:.1f} s "
            "a dossier, scripted keys at machine speed)."
        )
    return lines


def _command(args: argparse.Namespace) -> str:
    import shlex

    return shlex.join(
        [
            ".venv/bin/python",
            "-m",
            "benchmarks.review_keystrokes",
            "--seed",
            str(args.seed),
            "--dossiers",
            str(args.dossiers),
            "--retype",
            str(args.retype),
            "--keys-per-s",
            str(args.keys_per_s),
            "--handwriting",
            str(args.handwriting),
            "--out",
            str(args.out),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED, help="held-out: never looked at while tuning")
    parser.add_argument("--dossiers", type=int, default=8, help="dossiers reviewed")
    parser.add_argument("--retype", type=int, default=2, help="more dossiers retyped in full on the screen")
    parser.add_argument("--keys-per-s", type=float, default=KEYS_PER_S, help="typing speed of the by-hand estimate")
    parser.add_argument("--handwriting", type=float, default=0.0, help="share of form values written by hand")
    parser.add_argument("--out", type=Path, default=Path("out/review_keystrokes.json"))
    args = parser.parse_args(argv)
    if args.dossiers < 1 or args.retype < 0 or args.keys_per_s <= 0 or not 0 <= args.handwriting <= 1:
        parser.error("--dossiers ≥ 1, --retype ≥ 0, --keys-per-s > 0, 0 ≤ --handwriting ≤ 1")

    t0 = time.perf_counter()
    plans = make_dossiers(args.seed, args.dossiers, args.retype, args.handwriting)
    work = Path(tempfile.mkdtemp(prefix="sohoa-review-bench-"))
    try:
        with running_server(work) as server:
            dossiers = submit_all(server, plans)
            read_s = wait_read(server, dossiers, timeout=60 + 90 * len(dossiers))
            print(f"{len(dossiers)} dossiers read in {read_s:.0f} s", file=sys.stderr)
            results = review_all(server, dossiers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results.sort(key=lambda r: r.index)
    summary = summarise(results, args.keys_per_s)
    table = markdown(results, summary, args.keys_per_s) + "\n\n" + "\n".join(findings(summary, args.keys_per_s))
    report = {
        "command": _command(args),
        "seed": args.seed,
        "keys_per_s": args.keys_per_s,
        "handwriting": args.handwriting,
        "machine": f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}",
        "read_seconds": read_s,
        "run_seconds": time.perf_counter() - t0,
        "summary": summary,
        "dossiers": [{**asdict(r), "touched_share": r.touched_share, "keystrokes": r.keys.total} for r in results],
        "markdown": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    args.out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"\nReproduce: {report['command']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
