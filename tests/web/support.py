"""Helpers of the browser tests: the server as a child process, the clerk's papers, steps."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import FilePayload

from loopback.ports import free_port
from loopback.processes import stop
from tests.process_support import kill_left, processes_using

ROOT = Path(__file__).parents[2]
SOHOA = str(Path(sys.executable).parent / "sohoa")
SHOTS = ROOT / "out" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}

# Staff accounts: two counters of two service points, two reviewers (no service point).
CLERK = ("nv.hoankiem", "Mật-khẩu-quầy-1!", "HN-HOANKIEM", "Nguyễn Thị Lan")
OTHER_CLERK = ("nv.badinh", "Mật-khẩu-quầy-2!", "HN-BADINH", "Trần Văn Bình")
REVIEWER = ("kt.thuha", "Mật-khẩu-kiểm-tra-1!", None, "Phạm Thu Hà")
OTHER_REVIEWER = ("kt.vanminh", "Mật-khẩu-kiểm-tra-2!", None, "Đỗ Văn Minh")
REVIEWERS = (REVIEWER, OTHER_REVIEWER)


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path
    work: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    def sohoa(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [SOHOA, *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, f"sohoa {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout.strip()


def add_user(env: dict[str, str], name: str, password: str, point: str | None, full_name: str, role: str) -> None:
    args = [SOHOA, "users", "add", name, "--role", role, "--full-name", full_name, "--password-stdin"]
    if point:
        args += ["--service-point", point]
    done = subprocess.run(args, env=env, input=password + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def start_server(work: Path, ray_dir: Path, *extra_env: tuple[str, str], processing: bool = True) -> Server:
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(work / "data"),
        "SOHOA_CACHE_DIR": str(work / "cache"),
        "SOHOA_RAY__TEMP_DIR": str(ray_dir),
        "SOHOA_RAY__WORKERS": "1",
        **dict(extra_env),
    }
    for name, password, point, full_name in (CLERK, OTHER_CLERK):
        add_user(env, name, password, point, full_name, "counter")
    for reviewer, secret, _anywhere, reviewer_name in REVIEWERS:
        add_user(env, reviewer, secret, None, reviewer_name, "reviewer")
    port = free_port()
    log = work / "serve.log"
    command = [SOHOA, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not processing:
        command.append("--no-processing")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"))
    server = Server(f"http://127.0.0.1:{port}", env, process, log, work)
    deadline = time.monotonic() + 180
    with httpx.Client(timeout=10) as http:
        while True:
            try:
                if http.get(f"{server.url}/signin").status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                stop_server(server, ray_dir)
                pytest.fail(f"sohoa serve did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)


def stop_server(server: Server, ray_dir: Path) -> None:
    stop(server.process, timeout=60)
    kill_left(processes_using(ray_dir))
    shutil.rmtree(ray_dir, ignore_errors=True)


# --- the clerk's papers (samples/ generators: specimen people, never real ones) ----------------


@dataclass(frozen=True)
class Paper:
    name: str
    data: bytes
    mime: str

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        path.write_bytes(self.data)
        return path

    def file(self) -> FilePayload:
        return {"name": self.name, "mimeType": self.mime, "buffer": self.data}

    def payload(self) -> dict:
        return {"name": self.name, "mime": self.mime, "b64": base64.b64encode(self.data).decode()}


@dataclass(frozen=True)
class Papers:
    form: Paper  # tờ khai đăng ký khai sinh, sharp
    card: Paper  # CCCD front with its QR code
    blurred: Paper  # a petition, out of focus
    sharp: Paper  # the same petition, rescanned sharp
    birth: Paper  # giấy khai sinh (stands for the hospital's giấy chứng sinh in the tests)
    qr_payload: str  # what a handheld scanner types for the card
    card_holder: str
    card_id: str


def _jpeg(image: Image.Image, quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _half(image: Image.Image) -> Image.Image:
    """A4 at 150 dpi: what a counter scanner sends for a form (and a smaller upload)."""
    return image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)


def make_papers() -> Papers:
    from samples.generate import generate_document, person_for
    from samples.identity import qr_payload

    seed = 4115
    form = generate_document("to_khai_khai_sinh", "clean", seed).pages[0]
    card = generate_document("cccd_front", "clean", seed)
    petition = _half(generate_document("don", "clean", seed + 1).pages[0])
    birth = generate_document("giay_khai_sinh", "clean", seed + 2).pages[0]
    person = person_for("cccd_front", seed)
    return Papers(
        form=Paper("to-khai-khai-sinh.jpg", _jpeg(_half(form)), "image/jpeg"),
        card=Paper("cccd-mat-truoc.png", card.page_files[0], "image/png"),
        blurred=Paper("don-de-nghi-mo.jpg", _jpeg(petition.filter(ImageFilter.GaussianBlur(3))), "image/jpeg"),
        sharp=Paper("don-de-nghi.jpg", _jpeg(petition), "image/jpeg"),
        birth=Paper("giay-chung-sinh.jpg", _jpeg(_half(birth)), "image/jpeg"),
        qr_payload=qr_payload(person),
        card_holder=person.full_name,
        card_id=person.id12,
    )


# --- steps every test takes --------------------------------------------------------------------


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def sign_in(page, server: Server, who: tuple[str, str, str | None, str] = CLERK) -> None:
    """Sign in from the home page; each role lands on its screen (a reviewer's is /kiem-tra)."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/signin")
    page.get_by_label("Tên đăng nhập").fill(who[0])
    page.get_by_label("Mật khẩu").fill(who[1])
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server.url}{'/kiem-tra' if who in REVIEWERS else '/quay'}")
    expect(page.locator("#who")).to_contain_text(who[3])
    expect(page.locator("body.ready")).to_be_attached()


def serious_violations(page) -> list[str]:
    """axe-core (the copy inside axe-playwright-python): the serious and critical findings."""
    from axe_playwright_python.sync_playwright import Axe

    # Not into frames: the only one holds the printed receipt, which Chromium's own PDF viewer shows.
    results = Axe().run(page, options={"resultTypes": ["violations"], "iframes": False})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def drop_files(page, selector: str, *files: Paper) -> None:
    """What a real drag from the file manager does: dragenter, dragover and drop with the files."""
    transfer = page.evaluate_handle(
        """files => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, { type: f.mime }));
            }
            return transfer;
        }""",
        [f.payload() for f in files],
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, event, {"dataTransfer": transfer})


# --- the reviewer's papers: a card whose print and QR disagree, a smudged value, a mixed file ----


@dataclass(frozen=True)
class ReviewPapers:
    card: Paper  # CCCD front: the name printed without its tone marks, the QR holds the right one
    mixed: Paper  # one PDF, two documents of the same person: a typed petition, a scanned form
    printed_name: str  # as the card prints it (upper case, no tone marks)
    qr_name: str  # as the QR holds it: the citizen's name
    smudged: str  # the card's field whose printed value is struck through (the reader misreads it)
    smudged_truth: str  # what the card says there, under the stroke
    blurred: str  # the card's field printed out of focus: read right, but the readers disagree
    blurred_truth: str
    person_id: str


def _toneless(text: str) -> str:
    """The letters without their tone marks (vowel shapes kept): "Nguyễn" -> "Nguyên"."""
    import unicodedata

    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text) if c not in tones))


def _smudge(image: Image.Image, box: list[int]) -> Image.Image:
    """A pen stroke across the right half of a printed value: a person still reads it, the reader does not."""
    from PIL import ImageDraw

    out = image.copy()
    x0, y0, x1, y1 = box
    start, middle = (x0 + x1) // 2, (y0 + y1) // 2
    ImageDraw.Draw(out).line((start, middle + 2, x1, middle - 3), fill=(70, 70, 95), width=2)
    return out


def _blur(image: Image.Image, box: list[int]) -> Image.Image:
    """A printed value out of focus (a worn card): a person reads it, the two readers differ."""
    out = image.copy()
    x0, y0, x1, y1 = box
    out.paste(out.crop((x0, y0 - 2, x1 + 2, y1 + 2)).filter(ImageFilter.GaussianBlur(1.7)), (x0, y0 - 2))
    return out


def make_review_papers(seed: int = 5216, smudged: str = "co_gia_tri_den", blurred: str = "que_quan") -> ReviewPapers:
    import random
    from dataclasses import replace

    from samples import graphics
    from samples.cards import render_cccd_front
    from samples.generate import encode_png, generate_document, person_for, sub_seed
    from samples.identity import qr_payload

    person = person_for("cccd_front", seed)
    printed = replace(
        person, surname=_toneless(person.surname), middle=_toneless(person.middle), given=_toneless(person.given)
    )
    assert printed.name_upper != person.name_upper, "the test needs a name with tone marks"
    rendered = render_cccd_front(printed, random.Random(sub_seed(seed, "cccd_front", "layout")))
    canvas = rendered.pages[0]
    image = canvas.image.copy()
    # The QR code of the right person where the printed one's was.
    old = graphics.qr_image(qr_payload(printed), 172)
    image.paste((255, 255, 255), (image.width - 22 - old.width, 16, image.width - 22, 16 + old.height))
    right = graphics.qr_image(qr_payload(person), 172)
    image.paste(right, (image.width - 22 - right.width, 16))
    image = _blur(_smudge(image, canvas.fields[smudged]["box"]), canvas.fields[blurred]["box"])
    mixed = generate_document("pdf_mixed", "clean", seed)
    assert mixed.pdf_bytes is not None
    return ReviewPapers(
        card=Paper("cccd-ten-khong-dau.png", encode_png(image), "image/png"),
        mixed=Paper("don-va-to-khai.pdf", mixed.pdf_bytes, "application/pdf"),
        printed_name=printed.name_upper,
        qr_name=person.full_name,
        smudged=smudged,
        smudged_truth=canvas.fields[smudged]["value"],
        blurred=blurred,
        blurred_truth=canvas.fields[blurred]["value"],
        person_id=person.id12,
    )
