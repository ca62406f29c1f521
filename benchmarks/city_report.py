"""What benchmarks/city_day.py measures beside the HTTP latencies: queue samples, the end-of-run
database checks, bytes in the database and the bucket, and the report (JSON + markdown)."""

from __future__ import annotations

import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import psycopg

if TYPE_CHECKING:
    import httpx

    from benchmarks.city_stack import CityStack

# storage/db.py: create_engine(pool_size=10, max_overflow=10) for PostgreSQL, one engine per process.
POOL_LIMIT = 20
_PAGE_JOBS = re.compile(r'^sohoa_page_jobs\{[^}]*state="(\w+)"[^}]*\}\s+([0-9.eE+-]+)$', re.MULTILINE)


def _connect(stack: CityStack) -> psycopg.Connection:
    assert stack.postgres is not None
    return psycopg.connect(f"host=127.0.0.1 port={stack.postgres.port} user=postgres dbname=sohoa", autocommit=True)


def sample_once(stack: CityStack, http: httpx.Client) -> dict[str, Any]:
    """Queue depth and connections from the database, the same queue from GET /metrics (the
    observability route; None where it is missing), and each OCR actor's memory."""
    with _connect(stack) as conn:
        jobs: dict[str, int] = dict(conn.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
        review = conn.execute("SELECT count(*) FROM dossiers WHERE state = 'needs_review'").fetchone()
        connections = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'sohoa' AND pid <> pg_backend_pid()"
        ).fetchone()
    metrics_queued = None
    try:
        text = http.get(stack.base_url + "/metrics", timeout=10).text
        found = {state: float(value) for state, value in _PAGE_JOBS.findall(text)}
        metrics_queued = found.get("queued")
    except Exception:  # noqa: BLE001 - a sample without the metrics value
        pass
    actors = {}
    for proc in psutil.process_iter(["name", "memory_info"]):
        name = proc.info["name"] or ""
        if name.startswith("ray::") and proc.info["memory_info"] is not None:
            actors[f"{name}:{proc.pid}"] = round(proc.info["memory_info"].rss / 2**20)
    return {
        "jobs": {state: int(n) for state, n in jobs.items()},
        "needs_review": int(review[0]) if review else 0,
        "db_connections": int(connections[0]) if connections else 0,
        "metrics_queued": metrics_queued,
        "actor_rss_mb": actors,
    }


def check_database(stack: CityStack, submitted: list[tuple[str, int]]) -> dict[str, Any]:
    """Every submitted page is in the database once, with exactly one job, done, and a stored
    result; and the server-side time from submit (received_at) to the last page read."""
    with _connect(stack) as conn:
        rows = conn.execute(
            """
            SELECT d.code, count(p.id), count(j.id), count(j.id) FILTER (WHERE j.state = 'done'),
                   count(DISTINCT r.page_key), extract(epoch FROM max(j.updated_at) - d.received_at)
            FROM dossiers d
            JOIN components c ON c.dossier_id = d.id
            JOIN pages p ON p.component_id = c.id
            LEFT JOIN jobs j ON j.page_id = p.id
            LEFT JOIN page_results r ON r.page_key = p.page_key
            WHERE d.code = ANY(%s)
            GROUP BY d.code, d.received_at
            """,
            ([code for code, _pages in submitted],),
        ).fetchall()
        multi_jobs = conn.execute(
            "SELECT count(*) FROM (SELECT page_id FROM jobs GROUP BY page_id HAVING count(*) > 1) x"
        ).fetchone()
    found = {code: row for code, *row in rows}
    lost = duplicated = not_done = no_result = 0
    ready_s = []
    for code, pages in submitted:
        db_pages, jobs, done, results, seconds = found.get(code, (0, 0, 0, 0, None))
        lost += max(0, pages - db_pages)
        duplicated += max(0, db_pages - pages) + max(0, jobs - db_pages)
        not_done += db_pages - done
        no_result += db_pages - results
        if seconds is not None and done == db_pages:
            ready_s.append(float(seconds))
    return {
        "dossiers": len(submitted),
        "pages_expected": sum(p for _c, p in submitted),
        "pages_in_database": sum(r[0] for r in found.values()),
        "pages_lost": lost,
        "pages_duplicated": duplicated + (int(multi_jobs[0]) if multi_jobs else 0),
        "pages_not_done": not_done,
        "pages_without_result": no_result,
        "submit_to_ready_s": ready_s,
    }


def measure_bytes(stack: CityStack) -> dict[str, Any]:
    """The database's size (whole and by table) and the bucket's bytes by top-level prefix,
    every object version counted (versioning keeps them)."""
    with _connect(stack) as conn:
        database = conn.execute("SELECT pg_database_size('sohoa')").fetchone()
        tables = conn.execute(
            "SELECT relname, pg_total_relation_size(relid) FROM pg_catalog.pg_statio_user_tables"
        ).fetchall()
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM dossiers WHERE code IS NOT NULL), (SELECT count(*) FROM pages),"
            " (SELECT count(*) FROM dossiers WHERE package_prefix IS NOT NULL)"
        ).fetchone()
    assert stack.s3 is not None
    bucket: dict[str, int] = defaultdict(int)
    objects: dict[str, int] = defaultdict(int)
    client = stack.s3.client()
    if client.bucket_exists("sohoa"):
        for obj in client.list_objects("sohoa", recursive=True, include_version=True):
            prefix = (obj.object_name or "").split("/", 1)[0]
            bucket[prefix] += obj.size or 0
            objects[prefix] += 1
    return {
        "database_bytes": int(database[0]) if database else 0,
        "tables_bytes": {name: int(size) for name, size in tables},
        "dossiers": int(counts[0]) if counts else 0,
        "pages": int(counts[1]) if counts else 0,
        "packaged_dossiers": int(counts[2]) if counts else 0,
        "bucket_bytes": dict(bucket),
        "bucket_objects": dict(objects),
    }


def percentiles(values: list[float], scale: float = 1000.0) -> dict[str, float]:
    """n, p50/p95/p99 of `values` x `scale` (ms by default; inclusive quantiles)."""
    if not values:
        return {}
    v = [x * scale for x in values]
    cuts = statistics.quantiles(v, n=100, method="inclusive") if len(v) > 1 else v * 99
    return {"n": len(v), "p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1)}


def _saturated_rate(samples: list[dict]) -> float | None:
    """Pages read per second over the windows in which the job queue never emptied."""
    pages = seconds = 0.0
    for a, b in zip(samples, samples[1:], strict=False):
        if a["jobs"].get("queued", 0) > 0 and b["jobs"].get("queued", 0) > 0:
            pages += b["jobs"].get("done", 0) - a["jobs"].get("done", 0)
            seconds += b["t"] - a["t"]
    return round(pages / seconds, 3) if seconds >= 20 else None


def derive(results: dict) -> dict[str, Any]:
    samples = results["samples"]
    db = results["database"]
    before, after = results["bytes_before"], results["bytes_after"]
    dossiers = max(1, after["dossiers"] - before["dossiers"])
    pages = max(1, after["pages"] - before["pages"])
    grown = {k: v - before["bucket_bytes"].get(k, 0) for k, v in after["bucket_bytes"].items()}
    cpus = results["scale"]["ray_nodes"] * results["scale"]["cpus_per_node"]
    rate = _saturated_rate(samples)
    actor_peak: dict[str, int] = {}
    for s in samples:
        for name, mb in s["actor_rss_mb"].items():
            actor_peak[name] = max(actor_peak.get(name, 0), mb)
    return {
        "submit_to_ready_s": percentiles(db["submit_to_ready_s"], 1.0),
        "queue_max": max((s["jobs"].get("queued", 0) for s in samples), default=0),
        "review_queue_max": max((s["needs_review"] for s in samples), default=0),
        "db_connections_max": max((s["db_connections"] for s in samples), default=0),
        "db_pool_limit": POOL_LIMIT,
        "metrics_seen": any(s["metrics_queued"] is not None for s in samples),
        "saturated_pages_per_s": rate,
        "saturated_pages_per_s_per_cpu": round(rate / cpus, 3) if rate else None,
        "database_bytes_per_dossier": round((after["database_bytes"] - before["database_bytes"]) / dossiers),
        "bucket_bytes_per_page": {k: round(v / pages) for k, v in grown.items()},
        "bucket_bytes_per_approved_dossier": {
            k: round(v / max(1, after["packaged_dossiers"] - before["packaged_dossiers"]))
            for k, v in grown.items()
            if k != "originals"
        },
        "actor_rss_peak_mb": max(actor_peak.values(), default=None),
    }


def write_report(results: dict, out: Path, stem: str) -> bool:
    results["derived"] = derived = derive(results)
    db = results["database"]
    ok = (
        results["http_5xx"] == 0
        and db["pages_lost"] == 0
        and db["pages_duplicated"] == 0
        and db["pages_not_done"] == 0
        and derived["db_connections_max"] <= POOL_LIMIT
        and not results["processes_left_behind"]
    )
    results["ok"] = ok
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / f"{stem}.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    print(f"written: {out / stem}.json, .md", file=sys.stderr)
    return ok


def markdown(r: dict) -> str:
    s, d, db = r["scale"], r["derived"], r["database"]
    lines = [
        f"# City day: {s['points']} of {s['city_points']} points (scale {s['factor']}), {s['minutes']} min",
        "",
        f"Offered {s['offered_dossiers_per_s']} dossiers/s ({s['per_point_peak_dossiers_per_s']} per point, the"
        f" city's peak {s['city_peak_dossiers_per_s']}/s); burst {s['burst']}; Ray {s['ray_nodes']} nodes x"
        f" {s['cpus_per_node']} CPU. Load {r['load_s']} s, drain {r['drain_s']} s.",
        "",
        "| route | n | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for route, p in r["routes_ms"].items():
        if p:
            lines.append(f"| {route} | {p['n']} | {p['p50']} | {p['p95']} | {p['p99']} |")
    ready = d["submit_to_ready_s"]
    lines += [
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| dossiers submitted / read / approved | {r['dossiers_submitted']} / {r['dossiers_read']}"
        f" / {r['approved']} |",
        f"| pages submitted / in the database | {db['pages_expected']} / {db['pages_in_database']} |",
        f"| submit → ready for review p50 / p95 (s) | {ready.get('p50', '–')} / {ready.get('p95', '–')} |",
        f"| page jobs queued, max | {d['queue_max']} |",
        f"| dossiers waiting for review, max | {d['review_queue_max']} |",
        f"| HTTP 5xx / transport errors | {r['http_5xx']} / {r['transport_errors']} |",
        f"| pages lost / duplicated / not done / without result | {db['pages_lost']} / {db['pages_duplicated']}"
        f" / {db['pages_not_done']} / {db['pages_without_result']} |",
        f"| database connections, max (pool limit) | {d['db_connections_max']} ({d['db_pool_limit']}) |",
        f"| /metrics answered with sohoa_page_jobs | {'yes' if d['metrics_seen'] else 'no'} |",
        f"| pages/s while the queue never emptied (per CPU) | {d['saturated_pages_per_s']}"
        f" ({d['saturated_pages_per_s_per_cpu']}) |",
        f"| OCR actor peak RSS (MB) | {d['actor_rss_peak_mb']} |",
        f"| database bytes per dossier | {d['database_bytes_per_dossier']} |",
        f"| bucket bytes per page, by prefix | {d['bucket_bytes_per_page']} |",
        f"| bucket bytes per approved dossier (derived files) | {d['bucket_bytes_per_approved_dossier']} |",
        f"| all checks passed | {'yes' if r['ok'] else 'NO'} |",
        "",
        "Queue over time (t s: queued/running/done, waiting review, connections):",
        "",
        "    "
        + "  ".join(
            f"{x['t']:.0f}:{x['jobs'].get('queued', 0)}/{x['jobs'].get('running', 0)}/{x['jobs'].get('done', 0)},"
            f"{x['needs_review']},{x['db_connections']}"
            for x in r["samples"][:: max(1, len(r["samples"]) // 30)]
        ),
        "",
    ]
    return "\n".join(lines)
