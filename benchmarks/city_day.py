"""A city's morning peak, played against the production stack on this machine.

    .venv/bin/python -m benchmarks.city_day [--points 4] [--minutes 5] [--nodes 2] [--cpus-per-node 1]
                                            [--burst 0] [--drain-minutes 10] [--seed 7301] [--out out/city_day]

The rate (docs/CITY-DAY.md): Hanoi's 126 service points, 150 dossiers per point per working day,
8 working hours, the morning peak at 3x the day's average:
    per point  150 / (8 x 3600 s) x 3 = 0.015625 dossiers/s (56.25 an hour)
    the city   126 x that             = 1.97 dossiers/s (7,088 an hour), about 14.8 pages/s
with 3-12 pages per dossier (7.5 on average). This machine (2 shared cores) cannot read at the
city's rate, so it plays a slice: `--points` of the 126 points, each at the city's per-point
peak rate, for `--minutes`; the scale factor is points / 126 and is printed with the results.

Each arriving dossier is a clerk at a counter: create, upload its pages one file at a time,
submit, then poll its status every 2 s. A reviewer polls the queue every 5 s and approves what
is ready (confirming flagged fields), which builds the packages and searchable PDFs whose bytes
the sizing needs. A monitor samples the job queue, the review queue, the database connections
(pg_stat_activity) and GET /metrics every few seconds. When arrivals stop the run waits for the
queue to drain (at most `--drain-minutes`), then checks the database: every submitted page has
exactly one job, done, and a stored result. Pages come from the samples generator, prebuilt
before the clock starts; each upload gets a unique JPEG comment so no page is read from the cache.

Writes out/city_day/city_day-<points>p.json and .md; prints the summary. Exit 1 on a 5xx, a lost
or duplicated page, or database connections above the pool.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.city_report import check_database, measure_bytes, percentiles, sample_once, write_report
from benchmarks.city_stack import CityStack, point_codes, start_stack
from samples.generate import IMAGE_KINDS, generate_document, sub_seed

CITY_POINTS = 126
DOSSIERS_PER_POINT_DAY = 150
WORKING_HOURS = 8
PEAK_FACTOR = 3
PAGES_PER_DOSSIER = (3, 12)
PER_POINT_PEAK = DOSSIERS_PER_POINT_DAY / (WORKING_HOURS * 3600) * PEAK_FACTOR  # dossiers/s
PROCEDURE = "2.000200"
DONE_STATES = ("needs_review", "needs_attention", "approving", "validated", "delivered")
STATUS_POLL_S = 2.0
QUEUE_POLL_S = 5.0
SAMPLE_S = 3.0
MISSING_REASON = "Mô phỏng tải: công dân bổ sung sau"


def unique_jpeg(data: bytes, tag: str) -> bytes:
    """The same picture with a JPEG comment (COM segment) after SOI: new bytes, so a new page key
    and a real reading, while the reading's work is that of the original page."""
    payload = tag.encode()
    return data[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]


def page_pool(seed: int, size: int) -> list[tuple[str, bytes]]:
    """`size` scanned single-page JPEGs cycling through the image kinds (built before the clock)."""
    pages = []
    for i in range(size):
        kind = IMAGE_KINDS[i % len(IMAGE_KINDS)]
        doc = generate_document(kind, "scanned", sub_seed(seed, "city-day", i) % 2**63)
        if doc.page_files[0][:2] == b"\xff\xd8":
            pages.append((kind, doc.page_files[0]))
    return pages


@dataclass
class Recorder:
    """Every request's latency by route template and status, thread-safe."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: list[str] = field(default_factory=list)

    def call(self, http: httpx.Client, method: str, route: str, url: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            with self.lock:
                self.statuses[route][0] += 1
                self.errors.append(f"{route}: {type(exc).__name__}")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latency[route].append(elapsed)
            self.statuses[route][response.status_code] += 1
            if response.status_code >= 500:
                self.errors.append(f"{route}: {response.status_code} {response.text[:200]}")
        return response


@dataclass
class Dossier:
    point: str
    pages: int
    code: str | None = None
    submitted: float = 0.0  # monotonic
    ready: float | None = None  # first poll that saw it read
    state: str = ""


class CityDay:
    def __init__(self, stack: CityStack, points: list[str], pool: list[tuple[str, bytes]], seed: int) -> None:
        self.stack = stack
        self.points = points
        self.pool = pool
        self.rng = random.Random(seed)
        self.rec = Recorder()
        self.http = httpx.Client(
            base_url=stack.base_url + "/api/v1", timeout=120, limits=httpx.Limits(max_connections=100)
        )
        self.lock = threading.Lock()
        self.dossiers: list[Dossier] = []
        self.samples: list[dict] = []
        self.approved = 0
        self.stop_load = threading.Event()
        self.stop_all = threading.Event()
        self.serial = 0

    # --- a clerk at a counter --------------------------------------------------------------

    def counter_dossier(self, point: str, pages: int) -> None:
        key = {"X-API-Key": self.stack.keys[point]}
        record = Dossier(point, pages)
        body = {"procedure_code": PROCEDURE, "service_point_code": point, "applicant": {"full_name": "Công Dân Mẫu"}}
        created = self.rec.call(self.http, "POST", "POST /dossiers", "/dossiers", headers=key, json=body)
        if created is None or created.status_code != 201:
            return
        ref = created.json()["id"]
        for n in range(pages):
            with self.lock:
                self.serial += 1
                kind, data = self.pool[self.serial % len(self.pool)]
                tag = f"city-day {self.serial}"
            files = {"file": (f"{n + 1:02d}-{kind}.jpg", unique_jpeg(data, tag), "image/jpeg")}
            self.rec.call(
                self.http, "POST", "POST /dossiers/{ref}/files", f"/dossiers/{ref}/files", headers=key, files=files
            )
        submitted = self.rec.call(
            self.http,
            "POST",
            "POST /dossiers/{ref}/submit",
            f"/dossiers/{ref}/submit",
            headers=key,
            json={"missing_reason": MISSING_REASON},
        )
        if submitted is None or submitted.status_code != 200:
            return
        record.code, record.submitted = submitted.json()["code"], time.monotonic()
        with self.lock:
            self.dossiers.append(record)

    def arrivals(self, seconds: float, burst: int, executor: ThreadPoolExecutor) -> None:
        """Poisson arrivals at len(points) x the per-point peak rate, for `seconds`; `burst`
        dossiers at once first (a queue at opening time, to see the readers saturated)."""
        rate = PER_POINT_PEAK * len(self.points)
        for _ in range(burst):
            executor.submit(self.counter_dossier, self.rng.choice(self.points), self.rng.randint(*PAGES_PER_DOSSIER))
        end = time.monotonic() + seconds
        while not self.stop_load.is_set():
            wait = self.rng.expovariate(rate)
            if time.monotonic() + wait > end:
                self.stop_load.wait(max(0.0, end - time.monotonic()))  # the slice lasts its minutes
                break
            self.stop_load.wait(wait)
            executor.submit(self.counter_dossier, self.rng.choice(self.points), self.rng.randint(*PAGES_PER_DOSSIER))

    def status_polls(self) -> None:
        while not self.stop_all.is_set():
            with self.lock:
                waiting = [d for d in self.dossiers if d.ready is None]
            for d in waiting:
                key = {"X-API-Key": self.stack.keys[d.point]}
                got = self.rec.call(self.http, "GET", "GET /dossiers/{ref}", f"/dossiers/{d.code}", headers=key)
                if got is not None and got.status_code == 200:
                    d.state = got.json()["state"]
                    if d.state in DONE_STATES:
                        d.ready = time.monotonic()
            self.stop_all.wait(STATUS_POLL_S)

    # --- the reviewer ------------------------------------------------------------------------

    def reviewer(self) -> None:
        key = {"X-API-Key": self.stack.keys["kt.city"]}
        while not self.stop_all.is_set():
            queue = self.rec.call(self.http, "GET", "GET /review/queue", "/review/queue", headers=key)
            items = queue.json() if queue is not None and queue.status_code == 200 else []
            for item in [i for i in items if i["state"] == "needs_review" and not i.get("claimed_by")][:3]:
                self.approve(item["code"], key)
            self.stop_all.wait(QUEUE_POLL_S)

    def approve(self, code: str, key: dict[str, str]) -> None:
        route = "/review/dossiers/{ref}"
        review = self.rec.call(self.http, "GET", "GET " + route, f"/review/dossiers/{code}", headers=key)
        if review is None or review.status_code != 200:
            return
        for component in review.json()["components"]:
            for f in component["fields"]:
                if f["status"] != "ok":
                    url = f"/review/dossiers/{code}/components/{component['id']}/fields/{f['name']}/confirm"
                    self.rec.call(
                        self.http, "POST", "POST " + route + "/…/confirm", url, headers=key, params={"part": f["part"]}
                    )
        done = self.rec.call(
            self.http, "POST", "POST " + route + "/approve", f"/review/dossiers/{code}/approve", headers=key
        )
        if done is not None and done.status_code == 200:
            with self.lock:
                self.approved += 1

    # --- the monitor -------------------------------------------------------------------------

    def monitor(self, started: float) -> None:
        while not self.stop_all.is_set():
            sample = sample_once(self.stack, self.http)
            sample["t"] = round(time.monotonic() - started, 1)
            self.samples.append(sample)
            self.stop_all.wait(SAMPLE_S)

    def drained(self) -> bool:
        with self.lock:
            return all(d.ready is not None for d in self.dossiers)


def run(args: argparse.Namespace) -> dict:
    points = point_codes(args.points)
    print(f"city day: building {args.pool} pages before the clock starts …", file=sys.stderr)
    pool = page_pool(args.seed, args.pool)
    scratch = Path(tempfile.mkdtemp(prefix="sohoa-city-", dir="/tmp"))  # postgres must traverse it
    scratch.chmod(0o755)
    print("city day: starting PostgreSQL, SeaweedFS, Ray nodes, the API …", file=sys.stderr)
    stack = start_stack(scratch, points, nodes=args.nodes, cpus_per_node=args.cpus_per_node, pool=0)
    try:
        day = CityDay(stack, points, pool, args.seed)
        print("city day: warm-up dossier (models load) …", file=sys.stderr)
        day.counter_dossier(points[0], 3)
        warm = day.dossiers.pop()
        _wait(lambda: _state(day, warm) in DONE_STATES, 600)
        before = measure_bytes(stack)  # the warm-up's bytes are not counted
        day.rec = Recorder()  # the warm-up is not measured
        started = time.monotonic()
        threads = [threading.Thread(target=t, daemon=True) for t in (day.status_polls, day.reviewer)]
        threads.append(threading.Thread(target=day.monitor, args=(started,), daemon=True))
        for t in threads:
            t.start()
        print(f"city day: {args.points} points for {args.minutes} min …", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=4 * args.points + 8) as executor:
            day.arrivals(args.minutes * 60, args.burst, executor)
        load_s = time.monotonic() - started
        _wait(day.drained, args.drain_minutes * 60)
        drain_s = time.monotonic() - started - load_s
        _wait(lambda: not _reviewable(day), 120)  # the reviewer approves what is ready
        day.stop_all.set()
        for t in threads:
            t.join(timeout=30)
        checks = check_database(stack, [(d.code, d.pages) for d in day.dossiers if d.code])
        after = measure_bytes(stack)
        results = _results(args, day, load_s, drain_s, checks, before, after)
    finally:
        stack.close()
    results["processes_left_behind"] = stack.left_behind
    return results


def _state(day: CityDay, d: Dossier) -> str:
    key = {"X-API-Key": day.stack.keys[d.point]}
    return str(day.http.get(f"/dossiers/{d.code}", headers=key).json()["state"])


def _reviewable(day: CityDay) -> bool:
    with day.lock:
        return any(d.state == "needs_review" for d in day.dossiers) and day.approved < len(day.dossiers)


def _wait(done: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return True


def _results(
    args: argparse.Namespace, day: CityDay, load_s: float, drain_s: float, checks: dict, before: dict, after: dict
) -> dict:
    submitted = [d for d in day.dossiers if d.code]
    pages = sum(d.pages for d in submitted)
    fives = sum(n for counts in day.rec.statuses.values() for status, n in counts.items() if status >= 500)
    return {
        "scale": {
            "points": args.points,
            "city_points": CITY_POINTS,
            "factor": f"{args.points}/{CITY_POINTS}",
            "per_point_peak_dossiers_per_s": round(PER_POINT_PEAK, 6),
            "offered_dossiers_per_s": round(PER_POINT_PEAK * args.points, 4),
            "city_peak_dossiers_per_s": round(PER_POINT_PEAK * CITY_POINTS, 3),
            "minutes": args.minutes,
            "burst": args.burst,
            "ray_nodes": args.nodes,
            "cpus_per_node": args.cpus_per_node,
        },
        "load_s": round(load_s, 1),
        "drain_s": round(drain_s, 1),
        "dossiers_submitted": len(submitted),
        "pages_submitted": pages,
        "dossiers_read": sum(1 for d in submitted if d.ready is not None),
        "approved": day.approved,
        "routes_ms": {route: percentiles(v) for route, v in sorted(day.rec.latency.items())},
        "statuses": {route: dict(c) for route, c in sorted(day.rec.statuses.items())},
        "http_5xx": fives,
        "transport_errors": sum(c.get(0, 0) for c in day.rec.statuses.values()),
        "errors": day.rec.errors[:20],
        "submit_to_ready_s_polled": percentiles([d.ready - d.submitted for d in submitted if d.ready], 1.0),
        "database": checks,
        "samples": day.samples,
        "bytes_before": before,
        "bytes_after": after,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=4, help=f"service points played (of {CITY_POINTS})")
    parser.add_argument("--minutes", type=float, default=5.0, help="minutes of arrivals")
    parser.add_argument("--burst", type=int, default=0, help="dossiers arriving at once when the clock starts")
    parser.add_argument("--drain-minutes", type=float, default=10.0, help="longest wait for the queue to empty")
    parser.add_argument("--nodes", type=int, default=2, help="Ray nodes (the first is the head)")
    parser.add_argument("--cpus-per-node", type=int, default=1)
    parser.add_argument("--pool", type=int, default=22, help="distinct page images prebuilt")
    parser.add_argument("--seed", type=int, default=7301)
    parser.add_argument("--out", type=Path, default=Path("out/city_day"))
    args = parser.parse_args(argv)
    results = run(args)
    ok = write_report(results, args.out, f"city_day-{args.points}p")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
