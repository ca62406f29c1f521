"""The agencies' event feed and webhooks (docs/WEBHOOKS.md), against a real receiving server on
loopback: every event arrives at least once, in order per dossier, with a signature the
receiver verifies, through a receiver that fails, times out, holds requests and comes back, and
through the API itself killed (SIGKILL) between the commit of an event and its delivery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from intake import metrics
from intake.event_schemas import WebhookCreate
from intake.metrics import queue_figures
from intake.settings import Settings
from intake.webhooks_sender import WebhookSender, signature
from loopback.ports import free_port
from loopback.processes import stop
from tests.intake_support import API, assert_error, make_settings, start_api
from tests.webhook_support import (
    AGENCY,
    Receiver,
    delivery_states,
    events_of,
    in_order_per_dossier,
    ready_dossier,
    status_reports,
    verify,
    wait_for,
)

SOHOA = str(Path(sys.executable).parent / "sohoa")
FAST = {"allow_http": True, "timeout_seconds": 0.5, "backoff_seconds": 0.1, "max_backoff_seconds": 0.4}
FAST |= {"poll_seconds": 0.05, "senders": 2}


def _settings(request, tmp_path: Path, **webhooks: object) -> Settings:  # noqa: ANN001
    return make_settings("local-sqlite", request, tmp_path, webhooks={**FAST, **webhooks})


def _register(api, url: str, who: str = "agency") -> dict:  # noqa: ANN001
    response = api.client.post(f"{API}/agency/webhooks", json={"url": url}, headers=api.headers(who))
    assert response.status_code == 201, response.text
    return response.json()


def _log(api, webhook_id: str, who: str = "agency", **params: object) -> list[dict]:  # noqa: ANN001
    response = api.client.get(f"{API}/agency/webhooks/{webhook_id}/deliveries", params=params, headers=api.headers(who))
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- the feed -------------------------------------------------------------------------------


def test_the_feed_lists_the_agencys_events_in_order_and_resumes_at_its_cursor(request, tmp_path):
    with start_api(_settings(request, tmp_path), process=False) as api:
        first, second = ready_dossier(api.service, 1), ready_dossier(api.service, 2)
        status_reports(api.service, first, 2)  # acknowledged, then two reports
        agency = api.headers("agency")
        seen: list[dict] = []
        cursor = None
        for _ in range(10):
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = api.client.get(f"{API}/agency/events", params=params, headers=agency).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if not page["items"]:
                break
        expected = ["dossier.ready", "dossier.ready", "dossier.acknowledged"] + ["dossier.status_reported"] * 2
        assert [e["type"] for e in seen] == expected
        assert [e["dossier_code"] for e in seen] == [first, second, first, first, first]
        assert [e["sequence"] for e in seen] == sorted({e["sequence"] for e in seen})  # ascending, no repeats
        assert all(e["occurred_at"].endswith("+07:00") and e["agency_code"] == AGENCY.subject for e in seen)
        assert seen[0]["data"]["manifest"] == f"/api/v1/agency/dossiers/{first}/manifest"
        assert seen[3]["data"]["national_status"] == 4
        # Nothing new: the same cursor again, so a poller resumes where it was.
        again = api.client.get(f"{API}/agency/events", params={"cursor": cursor}, headers=agency).json()
        assert again == {"items": [], "next_cursor": cursor}
        assert api.client.post(f"{API}/agency/dossiers/{second}/ack", headers=agency).status_code == 200
        later = api.client.get(f"{API}/agency/events", params={"cursor": cursor}, headers=agency).json()
        assert [(e["type"], e["dossier_code"]) for e in later["items"]] == [("dossier.acknowledged", second)]
        # Another agency sees none of them; bad cursors and limits are refused.
        other = api.client.get(f"{API}/agency/events", headers=api.headers("other_agency")).json()
        assert other["items"] == []
        bad = api.client.get(f"{API}/agency/events", params={"cursor": "không-phải"}, headers=agency)
        assert_error(bad, 400, "INVALID_CURSOR")
        for limit in (0, 501):
            assert_error(api.client.get(f"{API}/agency/events", params={"limit": limit}, headers=agency), 422)
        assert_error(api.client.get(f"{API}/agency/events", headers=api.headers("counter")), 403, "FORBIDDEN")


# --- registration ---------------------------------------------------------------------------


def test_a_webhook_url_must_be_https_without_credentials_and_its_secret_is_shown_once(request, tmp_path):
    settings = _settings(request, tmp_path, allow_http=False, allowed_hosts=["127.0.0.1", ".example.vn"])
    with start_api(settings, process=False) as api:
        for url in (
            "https://motcua.example.com/hook",  # outside the deployment's allowed hosts
            "http://motcua.example.vn/hook",  # not https
            "ftp://motcua.example.vn/hook",
            "https://user:matkhau@motcua.example.vn/hook",  # credentials in the URL
            "https://:matkhau@motcua.example.vn/hook",
            "https:///hook",  # no host
            "https://motcua.example.vn/" + "a" * 2000,  # too long
            "https://127.0.0.1/hook",  # loopback
            "https://169.254.169.254/latest",  # link-local (cloud metadata)
            "https://motcua.example.vn:99999/hook",
            "https://motcua.example.vn/hook#frag",
            "https://motcua.example.vn/đường",  # not ASCII (encode it)
        ):
            response = api.client.post(f"{API}/agency/webhooks", json={"url": url}, headers=api.headers("agency"))
            if len(url) > 2000:
                assert_error(response, 422)
            else:
                assert_error(response, 422, "WEBHOOK_URL_INVALID")
        created = _register(api, "https://motcua.example.vn/sohoa/events?nguon=sohoa")
        assert len(created["secret"]) == 64 and int(created["secret"], 16) >= 0  # 32 random bytes, hex
        listed = api.client.get(f"{API}/agency/webhooks", headers=api.headers("agency")).json()["items"]
        assert [w["id"] for w in listed] == [created["id"]] and listed[0]["active"]
        assert "secret" not in listed[0]
        counter = api.client.post(
            f"{API}/agency/webhooks", json={"url": "https://x.example.vn/"}, headers=api.headers("counter")
        )
        assert_error(counter, 403, "FORBIDDEN")
        # The same Idempotency-Key again: the same webhook (and secret), not a second one.
        key = {"Idempotency-Key": "dang-ky-1", **api.headers("agency")}
        once = api.client.post(f"{API}/agency/webhooks", json={"url": "https://b.example.vn/"}, headers=key).json()
        twice = api.client.post(f"{API}/agency/webhooks", json={"url": "https://b.example.vn/"}, headers=key).json()
        assert once == twice
        assert len(api.client.get(f"{API}/agency/webhooks", headers=api.headers("agency")).json()["items"]) == 2


def test_another_agencys_webhook_and_its_delivery_log_are_not_found(request, tmp_path):
    with start_api(_settings(request, tmp_path), process=False) as api:
        mine = _register(api, "http://127.0.0.1:9/hook")
        for method, path in (("GET", "/deliveries"), ("DELETE", "")):
            url = f"{API}/agency/webhooks/{mine['id']}{path}"
            response = api.client.request(method, url, headers=api.headers("other_agency"))
            assert_error(response, 404, "WEBHOOK_NOT_FOUND")
            missing = api.client.request(
                method, f"{API}/agency/webhooks/{uuid.uuid4()}{path}", headers=api.headers("agency")
            )
            assert_error(missing, 404, "WEBHOOK_NOT_FOUND")
        assert api.client.get(f"{API}/agency/webhooks", headers=api.headers("other_agency")).json()["items"] == []
        assert api.client.get(f"{API}/agency/webhooks", headers=api.headers("agency")).json()["items"][0]["active"]


# --- delivery ---------------------------------------------------------------------------------


def test_every_event_arrives_signed_in_order_through_failures_timeouts_and_recovery(request, tmp_path):
    receiver = Receiver(mode="fail").start()
    try:
        with start_api(_settings(request, tmp_path), process=False) as api:
            webhook = _register(api, receiver.url)
            receiver.secret = webhook["secret"]
            first, second = ready_dossier(api.service, 11), ready_dossier(api.service, 12)
            status_reports(api.service, first, 3)
            wait_for(lambda: any(d["attempts"] >= 2 for d in _log(api, webhook["id"])), 20, "retries after 500")
            failed = _log(api, webhook["id"], state="pending")
            assert failed and all(d["last_status"] in (500, None) for d in failed)
            # What operators see: the deliveries waiting, and that posts fail.
            waiting = queue_figures(api.service.db, api.service.ctx.clock.now())
            assert waiting.webhook_pending == 6 and waiting.webhook_oldest_age >= 0
            assert metrics.WEBHOOK_ATTEMPTS.labels("failed")._value.get() >= 2
            assert any(d["last_error"] == "HTTP 500" for d in failed)
            # Order per dossier: nothing after the first dossier's failing event is even tried.
            later = [d for d in failed if d["dossier_code"] == first][1:]
            assert later and all(d["attempts"] == 0 for d in later)

            receiver.mode, receiver.delay = "slow", 1.0  # answers after the sender's 0.5 s timeout
            wait_for(
                lambda: any((d["last_error"] or "").startswith("timeout") for d in _log(api, webhook["id"])),
                20,
                "a timeout recorded",
            )
            receiver.mode = "ok"  # back
            wait_for(lambda: delivery_states(api.service) == {"delivered": 6}, 30, "all delivered")
            assert queue_figures(api.service.db, api.service.ctx.clock.now()).webhook_pending == 0
            recorded = events_of(api.service)
            log = _log(api, webhook["id"])
            assert all(d["state"] == "delivered" and d["delivered_at"] for d in log)
            assert any(d["attempts"] > 1 for d in log)
    finally:
        receiver.stop()
    unique = receiver.unique()
    assert set(unique) == {event_id for event_id, _code, _seq in recorded}  # every event, none invented
    assert all(a.verified and a.header_id == a.event["id"] for a in receiver.arrivals)
    assert in_order_per_dossier(receiver)
    assert {a.event["dossier_code"] for a in unique.values()} == {first, second}


def test_a_disabled_webhook_drops_what_it_has_not_received_and_a_new_one_gets_later_events(request, tmp_path):
    receiver = Receiver(mode="fail").start()
    try:
        with start_api(_settings(request, tmp_path), process=False) as api:
            old = _register(api, receiver.url)
            code = ready_dossier(api.service, 21)
            wait_for(lambda: _log(api, old["id"])[0]["attempts"] >= 1, 20, "a failed attempt")
            disabled = api.client.delete(f"{API}/agency/webhooks/{old['id']}", headers=api.headers("agency"))
            assert disabled.status_code == 200 and disabled.json()["active"] is False
            assert [d["state"] for d in _log(api, old["id"])] == ["dropped"]
            new = _register(api, receiver.url)
            receiver.secret, receiver.mode = new["secret"], "ok"
            status_reports(api.service, code, 1)  # acknowledged, one report: after the new webhook
            wait_for(lambda: delivery_states(api.service).get("delivered") == 2, 20, "the new webhook's events")
            time.sleep(0.3)  # the dropped one is not sent meanwhile
            assert [d["type"] for d in _log(api, new["id"])] == ["dossier.acknowledged", "dossier.status_reported"]
            assert [d["state"] for d in _log(api, old["id"])] == ["dropped"]
    finally:
        receiver.stop()
    assert [a.event["type"] for a in receiver.arrivals] == ["dossier.acknowledged", "dossier.status_reported"]
    assert all(a.verified for a in receiver.arrivals)


def test_a_forged_or_stale_signature_does_not_verify():
    body, secret, now = b'{"id": "e1"}', "ab" * 32, int(time.time())
    good = {"x-sohoa-timestamp": str(now), "x-sohoa-signature": signature(secret, now, body)}
    assert verify(secret, good, body)
    assert not verify(secret, good, body.replace(b"e1", b"e2"))  # one byte changed
    assert not verify("cd" * 32, good, body)  # another secret
    stale = {"x-sohoa-timestamp": str(now - 301), "x-sohoa-signature": signature(secret, now - 301, body)}
    assert not verify(secret, stale, body)  # replayed past the window


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def test_senders_of_several_processes_share_the_work_and_keep_each_dossiers_order(backend, request, tmp_path):
    overrides: dict = {}
    if backend == "postgres":
        overrides["database_url"] = request.getfixturevalue("postgres_server").create_database(
            f"t{uuid.uuid4().hex[:16]}"
        )
    settings = make_settings("local-sqlite", request, tmp_path, webhooks={**FAST, "senders": 3}, **overrides)
    receiver = Receiver(fail_every=3).start()
    with start_api(settings, process=False) as api:  # its own sender, and two more "processes"
        others = [WebhookSender(api.service.ctx).start() for _ in range(2)]
        try:
            created = api.service.webhooks.register(AGENCY, WebhookCreate(url=receiver.url))
            receiver.secret = created.secret
            codes = [ready_dossier(api.service, 30 + n) for n in range(3)]
            for code in codes:
                status_reports(api.service, code, 4)
            wait_for(lambda: delivery_states(api.service) == {"delivered": 18}, 60, "all delivered")
            recorded = events_of(api.service)
        finally:
            for sender in others:
                sender.stop()
            receiver.stop()
    assert set(receiver.unique()) == {event_id for event_id, _code, _seq in recorded}
    assert all(a.verified for a in receiver.arrivals)
    assert in_order_per_dossier(receiver)


# --- the API killed between commit and delivery --------------------------------------------


def _serve(env: dict, port: int, log: Path) -> subprocess.Popen:
    api = subprocess.Popen(
        [SOHOA, "serve", "--no-processing", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return api
        except httpx.TransportError:
            pass
        assert api.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.3)


def test_the_api_killed_between_commit_and_delivery_still_delivers_every_event_in_order(request, tmp_path):
    settings = _settings(request, tmp_path, timeout_seconds=1.0)
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_CACHE_DIR": str(settings.cache_dir),
        **{f"SOHOA_WEBHOOKS__{k.upper()}": str(v).lower() for k, v in FAST.items() if k != "timeout_seconds"},
        "SOHOA_WEBHOOKS__TIMEOUT_SECONDS": "1.0",  # a lease of 7 s
    }
    receiver_port, api_port = free_port(), free_port()
    log = tmp_path / "api.log"
    with start_api(settings, process=False) as local:  # this process: dossiers, keys; its sender stopped
        local.client.app.state.webhook_sender.stop()
        service, agency = local.service, local.headers("agency")
        webhook = service.webhooks.register(AGENCY, WebhookCreate(url=f"http://127.0.0.1:{receiver_port}/hook"))
        codes = [ready_dossier(service, 40 + n) for n in range(2)]  # ready events: none delivered yet
        base = f"http://127.0.0.1:{api_port}{API}/agency/dossiers"
        api = _serve(env, api_port, log)
        receiver = Receiver(secret=webhook.secret)
        try:
            # The receiver is down: the API commits events it cannot deliver.
            for code in codes:
                assert httpx.post(f"{base}/{code}/ack", headers=agency, timeout=30).status_code == 200
                for status in (4, 5, 4):
                    sent = httpx.post(f"{base}/{code}/status", json={"status": status}, headers=agency, timeout=30)
                    assert sent.status_code == 200, sent.text
            wait_for(lambda: delivery_states(service) == {"pending": 10}, 5, "all pending")
            # It comes back holding every request: the API is killed while posting.
            receiver.hold()
            receiver.start(receiver_port)
            assert receiver.held.wait(30), "the API posted nothing"
            api.send_signal(signal.SIGKILL)
            api.wait(10)
            receiver.mode = "ok"
            receiver.release()
            assert receiver.arrivals == []  # nothing was acknowledged before the kill
            api = _serve(env, api_port, log)
            wait_for(lambda: delivery_states(service) == {"delivered": 10}, 90, "all delivered after the restart")
            recorded = events_of(service)
        finally:
            stop(api, timeout=30)
            receiver.stop()
    assert set(receiver.unique()) == {event_id for event_id, _code, _seq in recorded}
    assert all(a.verified for a in receiver.arrivals)
    assert in_order_per_dossier(receiver)
    assert [a.event["type"] for a in receiver.unique().values() if a.event["dossier_code"] == codes[0]] == [
        "dossier.ready",
        "dossier.acknowledged",
    ] + ["dossier.status_reported"] * 3
