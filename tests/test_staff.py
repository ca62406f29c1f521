"""Staff sign-in: accounts made with `sohoa users`, Argon2 passwords, browser sessions with
their cookie and CSRF token, idle and absolute expiry, lockout with back-off, sign-out, and
a signed-in browser held to the same rules as a key (a counter sees only its service point).
Through the real API on SQLite, times from a FixedClock; the service-level flow also on PostgreSQL."""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.cli import main
from intake.clock import VIETNAM, FixedClock
from intake.errors import ServiceError
from intake.service import open_service
from intake.settings import get_settings
from intake.staff import AccountLocked, StaffAccounts, csrf_token_for, hash_token
from models.errors import ErrorCode
from storage.staff_tables import StaffSessionRow, StaffUserRow
from tests.intake_support import API, make_settings, start_api

START = datetime(2026, 3, 2, 8, 0, tzinfo=VIETNAM)
PASSWORD = "Quầy số 3 mở cửa lúc 7 giờ"
LAN = "Nguyễn Thị Lan"
STAFF = {
    "idle_minutes": 30,
    "max_session_hours": 1,
    "lockout_after": 3,
    "lockout_seconds": 30,
    "lockout_max_seconds": 100,
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def api(request, tmp_path, clock):
    settings = make_settings("local-sqlite", request, tmp_path, staff=STAFF)
    service = open_service(settings, clock=clock)
    service.staff.add("nv.lan", "counter", PASSWORD, service_point="HN-HOANKIEM", full_name=LAN)
    with start_api(settings, process=False, service=service) as running:
        yield running


def browser(api, base_url: str = "http://testserver") -> TestClient:
    """Another browser (its own cookie jar) on the same running app."""
    return TestClient(api.client.app, base_url=base_url)


def sign_in(client: TestClient, username: str = "nv.lan", password: str = PASSWORD, **kwargs):  # noqa: ANN201
    return client.post(f"{API}/session", json={"username": username, "password": password}, **kwargs)


def session_cookie(response) -> tuple[str, dict[str, str]]:  # noqa: ANN001
    """The session cookie's value and its attributes (lowercased names) from Set-Cookie."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith("sohoa_session=")]
    assert len(found) == 1, response.headers
    first, *rest = (part.strip() for part in found[0].split(";"))
    attributes = {}
    for part in rest:
        name, _, value = part.partition("=")
        attributes[name.lower()] = value
    return first.split("=", 1)[1].strip('"'), attributes


def refused(response, status: int, code: ErrorCode) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message"] and body["message_en"], body
    return body


# --- sohoa users ------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def users(monkeypatch, *argv: str, stdin: str | None = None) -> int:  # noqa: ANN001
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["users", *argv])


def test_users_add_list_disable_and_only_an_argon2_hash_is_kept(data_dir, capsys, monkeypatch):
    nfd_name = unicodedata.normalize("NFD", LAN)
    add = ["add", "NV.Lan", "--role", "counter", "--service-point", "HN-HOANKIEM", "--full-name", nfd_name]
    assert users(monkeypatch, *add, "--password-stdin", stdin=PASSWORD + "\n") == 0
    assert users(monkeypatch, "add", "kt.minh", "--role", "reviewer", "--password-stdin", stdin=PASSWORD + "\n") == 0
    capsys.readouterr()

    assert users(monkeypatch, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["USERNAME", "FULL"]
    assert [line.split()[0] for line in lines[1:]] == ["kt.minh", "nv.lan"]  # lowercased, sorted
    assert LAN in lines[2] and "counter" in lines[2] and "HN-HOANKIEM" in lines[2] and lines[2].endswith(" -")
    assert "reviewer" in lines[1] and lines[1].endswith(" -")

    service = open_service(get_settings())
    with service.db.reading() as s:
        row = s.scalar(select(StaffUserRow).where(StaffUserRow.username == "nv.lan"))
    assert row is not None and row.full_name == LAN  # stored NFC
    assert row.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in row.password_hash and PasswordHasher().verify(row.password_hash, PASSWORD)

    signed = service.staff.sign_in("nv.lan", PASSWORD)
    assert users(monkeypatch, "disable", "nv.lan") == 0
    capsys.readouterr()
    assert users(monkeypatch, "list") == 0
    lan = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("nv.lan"))
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d$", lan), lan
    with pytest.raises(ServiceError) as ended:
        service.staff.session(signed.token)
    assert ended.value.code == ErrorCode.SESSION_EXPIRED
    with pytest.raises(ServiceError) as again:
        service.staff.sign_in("nv.lan", PASSWORD)
    assert again.value.code == ErrorCode.SIGNIN_FAILED
    assert [e.action for e in service.staff.events("nv.lan")] == ["user_add", "signin", "user_disable", "signin_failed"]


def test_the_password_is_asked_twice_without_echo(data_dir, capsys, monkeypatch):
    answers = iter(["mật khẩu thứ nhất", "mật khẩu thứ hai", PASSWORD, PASSWORD])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    argv = ("add", "kt.minh", "--role", "reviewer")
    assert users(monkeypatch, *argv) == 2
    assert "differ" in capsys.readouterr().err
    assert users(monkeypatch, *argv) == 0
    assert len(prompts) == 4 and all("Mật khẩu" in p or "mật khẩu" in p for p in prompts)
    service = open_service(get_settings())
    assert [row.username for row in service.staff.accounts()] == ["kt.minh"]
    assert service.staff.sign_in("kt.minh", PASSWORD).session.role == "reviewer"


@pytest.mark.parametrize(
    ("argv", "stdin", "says"),
    [
        (["add", "nv.b", "--role", "counter", "--service-point", "HN-HOANKIEM"], "ngan qua", "10 ký tự"),
        (["add", "nv.b", "--role", "counter", "--service-point", "HN-HOANKIEM"], "aaaaaaaaaaaa", "dễ đoán"),
        (["add", "nv.b", "--role", "counter"], PASSWORD, "--service-point"),
        (["add", "kt.b", "--role", "reviewer", "--service-point", "HN-HOANKIEM"], PASSWORD, "--service-point"),
        (["add", "nv.b", "--role", "counter", "--service-point", "HN-KHONGCO"], PASSWORD, "SERVICE_POINT_UNKNOWN"),
        (["add", "Nguyễn", "--role", "reviewer"], PASSWORD, "INVALID_REQUEST"),
        (["add", "kt.b", "--role", "admin"], PASSWORD, "invalid choice"),
        (["add", "nv.lan", "--role", "reviewer"], PASSWORD, "USER_EXISTS"),
        (["disable", "khong.co"], None, "USER_UNKNOWN"),
        ([], None, "required"),
    ],
)
def test_users_refusals_are_one_line_and_exit_2(data_dir, capsys, monkeypatch, argv, stdin, says):
    users(monkeypatch, "add", "nv.lan", "--role", "reviewer", "--password-stdin", stdin=PASSWORD + "\n")
    capsys.readouterr()
    if stdin is not None:
        argv = [*argv, "--password-stdin"]
    assert users(monkeypatch, *argv, stdin=None if stdin is None else stdin + "\n") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sohoa") and says in err[0], err
    assert [row.username for row in open_service(get_settings()).staff.accounts()] == ["nv.lan"]


# --- sign-in, cookie, CSRF ---------------------------------------------------------------------


def test_sign_in_sets_a_strict_httponly_cookie_and_opens_the_api(api):
    client = browser(api)
    refused(client.get(f"{API}/procedures"), 401, ErrorCode.AUTH_REQUIRED)
    response = sign_in(client, "NV.Lan ")  # case and spaces around the name do not matter
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["username"] == "nv.lan" and body["full_name"] == LAN and body["role"] == "counter"
    assert body["service_point"] == "HN-HOANKIEM" and body["service_point_name"]
    assert datetime.fromisoformat(body["expires_at"]) == START + timedelta(minutes=30)
    assert body["expires_at"].endswith("+07:00")

    token, attributes = session_cookie(response)
    assert "httponly" in attributes and attributes["samesite"].lower() == "strict" and attributes["path"] == "/"
    assert "secure" not in attributes  # plain HTTP here; see the TLS test
    assert len(token) >= 43 and body["csrf_token"] == csrf_token_for(token) != token
    with api.service.db.reading() as s:
        stored = s.scalars(select(StaffSessionRow.token_hash)).all()
    assert stored == [hash_token(token)]  # the token itself is nowhere in the database

    assert client.get(f"{API}/procedures").status_code == 200  # the cookie alone opens a read
    again = client.get(f"{API}/session")
    assert again.status_code == 200 and again.json()["csrf_token"] == body["csrf_token"]


def test_the_cookie_is_secure_behind_tls_or_when_told(api):
    _token, attributes = session_cookie(sign_in(browser(api, "https://testserver")))
    assert "secure" in attributes
    api.service.ctx.settings.staff.secure_cookies = True
    _token, attributes = session_cookie(sign_in(browser(api)))
    assert "secure" in attributes


def test_wrong_password_and_unknown_user_get_the_same_answer_and_the_same_work(api, monkeypatch):
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    client = browser(api)
    wrong = sign_in(client, "nv.lan", "không phải mật khẩu")
    unknown = sign_in(client, "nv.khongco", "không phải mật khẩu")
    for response in (wrong, unknown):
        refused(response, 401, ErrorCode.SIGNIN_FAILED)
        assert "set-cookie" not in response.headers
    # Only the request id (a fresh one per request) tells the two answers apart.
    assert {**wrong.json(), "request_id": None} == {**unknown.json(), "request_id": None}
    assert len(verified) == 2 and all(h.startswith("$argon2id$v=19$m=65536,t=3,p=4$") for h in verified)
    refused(client.get(f"{API}/session"), 401, ErrorCode.AUTH_REQUIRED)


@pytest.mark.parametrize("username", ["nv.lan", "nv.khongco"])
def test_lockout_waits_and_doubles_and_a_success_resets_it(api, clock, username):
    client = browser(api)
    wrong = "không phải mật khẩu"
    for _ in range(2):
        refused(sign_in(client, username, wrong), 401, ErrorCode.SIGNIN_FAILED)

    def locked(response, seconds: int) -> None:  # noqa: ANN001
        body = refused(response, 429, ErrorCode.ACCOUNT_LOCKED)
        assert response.headers["Retry-After"] == str(seconds)
        assert f"{seconds} giây" in body["message"]

    locked(sign_in(client, username, wrong), 30)  # the third failure in a row: wait 30 s
    locked(sign_in(client, username, PASSWORD), 30)  # even the right password waits
    clock.advance(seconds=29)
    locked(sign_in(client, username, PASSWORD), 1)
    clock.advance(seconds=1)
    locked(sign_in(client, username, wrong), 60)  # one more failure: twice as long
    clock.advance(seconds=60)
    locked(sign_in(client, username, wrong), 100)  # 120 s, capped at lockout_max_seconds
    clock.advance(seconds=100)
    if username == "nv.khongco":  # an unknown name never gets in, and is answered like a wrong password
        locked(sign_in(client, username, PASSWORD), 100)
        assert api.service.staff.events(username) == []  # recorded masked: it may be a mistyped password
        assert len([e for e in api.service.staff.events() if e.username == "nv…"]) == 8
        return
    assert sign_in(client, username, PASSWORD).status_code == 200
    for _ in range(2):  # the success cleared the count
        refused(sign_in(client, username, wrong), 401, ErrorCode.SIGNIN_FAILED)
    failed, waited = "signin_failed", "signin_locked"
    assert [e.action for e in api.service.staff.events(username)] == [
        "user_add",
        *[failed] * 3,
        waited,
        waited,
        failed,
        failed,
        "signin",
        failed,
        failed,
    ]


def test_sign_in_from_another_site_is_refused(api):
    client = browser(api)
    refused(sign_in(client, headers={"Origin": "https://evil.example"}), 403, ErrorCode.CSRF_INVALID)
    refused(sign_in(client, headers={"Origin": "null"}), 403, ErrorCode.CSRF_INVALID)
    assert sign_in(client, headers={"Origin": "http://testserver"}).status_code == 200


def test_changes_with_the_cookie_need_the_csrf_token(api):
    client = browser(api)
    csrf = sign_in(client).json()["csrf_token"]
    body = {
        "procedure_code": "2.000200",
        "service_point_code": "HN-HOANKIEM",
        "applicant": {"full_name": "Nguyễn Thị Mẫu", "id_number": "001199000001"},
    }
    refused(client.post(f"{API}/dossiers", json=body), 403, ErrorCode.CSRF_INVALID)
    wrong = csrf[:-1] + ("1" if csrf.endswith("0") else "0")  # another token, whatever the last character
    refused(client.post(f"{API}/dossiers", json=body, headers={"X-CSRF-Token": wrong}), 403, "CSRF_INVALID")
    refused(client.post(f"{API}/dossiers", json=body, headers={"X-CSRF-Token": "đ".encode() * 32}), 403, "CSRF_INVALID")
    created = client.post(f"{API}/dossiers", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    # A machine client's key needs no CSRF token (no cookie is involved).
    assert api.client.post(f"{API}/dossiers", json=body, headers=api.headers("counter")).status_code == 201


def test_a_counter_session_sees_only_its_own_service_point(api):
    api.service.staff.add("nv.badinh", "counter", PASSWORD, service_point="HN-BADINH", full_name="Trần Văn Bình")
    dossier = api.new_dossier()  # received at HN-HOANKIEM
    lan, binh = browser(api), browser(api)
    sign_in(lan)
    sign_in(binh, "nv.badinh")
    assert lan.get(f"{API}/dossiers/{dossier['id']}").status_code == 200
    refused(binh.get(f"{API}/dossiers/{dossier['id']}"), 404, ErrorCode.DOSSIER_NOT_FOUND)


# --- expiry, sign-out, disabling --------------------------------------------------------------


def test_an_idle_session_expires_and_no_session_outlives_its_maximum(api, clock):
    client = browser(api)
    sign_in(client)
    clock.advance(minutes=29)
    assert client.get(f"{API}/procedures").status_code == 200  # used: the idle window starts again
    clock.advance(minutes=29)
    body = client.get(f"{API}/session").json()
    assert datetime.fromisoformat(body["expires_at"]) == START + timedelta(hours=1)  # the absolute end is nearer
    clock.advance(minutes=3)  # 61 minutes after sign-in, 3 after last use
    refused(client.get(f"{API}/procedures"), 401, ErrorCode.SESSION_EXPIRED)

    sign_in(client)
    clock.advance(minutes=30)
    refused(client.get(f"{API}/procedures"), 401, ErrorCode.SESSION_EXPIRED)
    response = client.get(f"{API}/session")
    refused(response, 401, ErrorCode.SESSION_EXPIRED)
    value, attributes = session_cookie(response)  # the ended session's cookie is cleared
    assert value == "" and attributes.get("max-age") == "0"


def test_sign_out_needs_the_csrf_token_and_ends_the_session(api):
    client = browser(api)
    csrf = sign_in(client).json()["csrf_token"]
    token = client.cookies["sohoa_session"]
    refused(client.delete(f"{API}/session"), 403, ErrorCode.CSRF_INVALID)
    assert client.get(f"{API}/session").status_code == 200  # still signed in
    response = client.delete(f"{API}/session", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    value, attributes = session_cookie(response)
    assert value == "" and attributes.get("max-age") == "0"
    refused(client.get(f"{API}/session"), 401, ErrorCode.AUTH_REQUIRED)

    replay = browser(api)
    replay.cookies.set("sohoa_session", token)
    refused(replay.get(f"{API}/procedures"), 401, ErrorCode.SESSION_EXPIRED)
    assert replay.delete(f"{API}/session").status_code == 204  # signing out twice is harmless
    assert [e.action for e in api.service.staff.events("nv.lan")][-2:] == ["signin", "signout"]


def test_signing_in_again_ends_the_browsers_previous_session(api):
    client = browser(api)
    sign_in(client)
    first = client.cookies["sohoa_session"]
    sign_in(client)
    assert client.cookies["sohoa_session"] != first
    old = browser(api)
    old.cookies.set("sohoa_session", first)
    refused(old.get(f"{API}/session"), 401, ErrorCode.SESSION_EXPIRED)


def test_disabling_a_user_ends_their_open_sessions(api):
    client = browser(api)
    sign_in(client)
    assert client.get(f"{API}/procedures").status_code == 200
    api.service.staff.disable("nv.lan", actor="test")
    refused(client.get(f"{API}/procedures"), 401, ErrorCode.SESSION_EXPIRED)
    refused(sign_in(browser(api)), 401, ErrorCode.SIGNIN_FAILED)  # the same answer as a wrong password
    api.service.staff.enable("nv.lan", actor="test")
    assert sign_in(browser(api)).status_code == 200


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in(api):
    weak = StaffAccounts(api.service.ctx, hasher=PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    weak.add("kt.cu", "reviewer", PASSWORD, full_name="Lê Văn Cũ")
    assert api.service.staff.hasher.check_needs_rehash(api.service.staff.get("kt.cu").password_hash)
    assert sign_in(browser(api), "kt.cu").status_code == 200
    renewed = api.service.staff.get("kt.cu").password_hash
    assert not api.service.staff.hasher.check_needs_rehash(renewed) and PasswordHasher().verify(renewed, PASSWORD)


# --- the service on both databases ------------------------------------------------------------


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.services, pytest.mark.xdist_group("services")])]
)
def staff_service(request, tmp_path, clock):
    database = {}
    if request.param == "postgres":
        pg = request.getfixturevalue("postgres_server")
        database["database_url"] = pg.create_database(f"t{uuid.uuid4().hex[:16]}")
    settings = make_settings("local-sqlite", request, tmp_path, staff=STAFF, **database)
    service = open_service(settings, clock=clock)
    yield service
    service.db.dispose()


def test_accounts_sessions_and_lockout_on_each_database(staff_service, clock):
    staff = staff_service.staff
    staff.add("gs.hoa", "supervisor", PASSWORD, full_name="Phạm Thị Hoa")
    with pytest.raises(ServiceError) as exists:
        staff.add("GS.Hoa", "reviewer", PASSWORD)
    assert exists.value.code == ErrorCode.USER_EXISTS
    signed = staff.sign_in("gs.hoa", PASSWORD)
    principal = staff.session(signed.token).principal
    assert (principal.role, principal.subject, principal.service_point) == ("supervisor", "gs.hoa", None)
    staff.check_csrf(signed.token, signed.session.csrf_token)
    with pytest.raises(ServiceError) as csrf:
        staff.check_csrf(signed.token, csrf_token_for("another token"))
    assert csrf.value.code == ErrorCode.CSRF_INVALID

    for _ in range(2):
        with pytest.raises(ServiceError) as failed:
            staff.sign_in("gs.hoa", "không phải mật khẩu")
        assert failed.value.code == ErrorCode.SIGNIN_FAILED
    with pytest.raises(AccountLocked) as lock:
        staff.sign_in("gs.hoa", "không phải mật khẩu")
    assert lock.value.retry_after == 30
    clock.advance(seconds=30)
    assert staff.sign_in("gs.hoa", PASSWORD).session.username == "gs.hoa"

    assert staff.sign_out(signed.token) is True and staff.sign_out(signed.token) is False
    with pytest.raises(ServiceError) as ended:
        staff.session(signed.token)
    assert ended.value.code == ErrorCode.SESSION_EXPIRED
    actions = [e.action for e in staff.events("gs.hoa")]
    assert actions == ["user_add", "signin", *["signin_failed"] * 3, "signin", "signout"]
