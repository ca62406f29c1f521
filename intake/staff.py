"""Staff accounts and their browser sessions: who may sign in to the screens, and as whom.

- An account has a user name (ASCII lowercase letters, digits, `.`, `-`, `_`), a full name
  (NFC), a role (counter, reviewer, supervisor) and, for a counter clerk, their one service
  point. Passwords are kept only as Argon2id hashes with pinned parameters (`password_hasher`);
  a hash made with other parameters is replaced at the next sign-in.
- A session is a random 256-bit token in the browser's cookie; only its SHA-256 is stored.
  Its CSRF token is derived from the token (HMAC), so it needs no storage and dies with it.
  A session ends when unused for `settings.staff.idle_minutes`, after `max_session_hours` in
  any case, at sign-out, and when its account is disabled.
- After `lockout_after` failed sign-ins in a row for one user name, that name waits
  `lockout_seconds`, doubled at each further failure up to `lockout_max_seconds`; a success
  clears it. Unknown names are answered, timed and locked out exactly like known ones, so
  the answers never tell whether an account exists.
- Sign-ins (done, failed, refused while locked), sign-outs and account changes are recorded
  in `staff_events`. Every time comes from the service's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.auth import Principal, Role
from intake.claims import release_claims_of
from intake.context import IntakeContext
from intake.errors import ServiceError
from intake.schemas import unsafe_character
from models.errors import ErrorCode
from pipeline.text import nfc
from storage.staff_tables import SigninFailureRow, StaffEventRow, StaffSessionRow, StaffUserRow

log = logging.getLogger(__name__)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # Argon2 takes any length; a megabyte "password" is only load
MAX_FULL_NAME = 200
STAFF_ROLES = (Role.COUNTER, Role.REVIEWER, Role.SUPERVISOR)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most this often (one write per minute, not per request)
FORGET_FAILURES_AFTER = timedelta(days=1)  # a streak of failures this old starts again from zero
KEEP_ENDED_SESSIONS = timedelta(days=30)  # ended sessions are deleted after this long (at the user's next sign-in)
MAX_TOKEN = 200  # a cookie longer than any token we issue names no session


def password_hasher() -> PasswordHasher:
    """Argon2id with RFC 9106's second recommended parameters (64 MiB, 3 passes, 4 lanes),
    pinned here so that a library upgrade never changes them unnoticed."""
    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, hash_len=32, salt_len=16, type=Type.ID)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(token: str) -> str:
    """The session's CSRF token: a page can read it (from the session's JSON), a cross-site form cannot."""
    return hmac.new(token.encode(), b"sohoa-csrf-v1", hashlib.sha256).hexdigest()


def wait_text(seconds: int) -> str:
    """How long to wait, as the message says it: "30 giây", "4 phút"."""
    return f"{seconds} giây" if seconds < 120 else f"{math.ceil(seconds / 60)} phút"


class AccountLocked(ServiceError):
    """ACCOUNT_LOCKED with how long to wait (the HTTP answer's Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(ErrorCode.ACCOUNT_LOCKED, wait_text(retry_after))
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SessionView:
    """A valid session, as the screens see it (the body of POST and GET /session)."""

    username: str
    full_name: str
    role: str
    service_point: str | None
    service_point_name: str | None
    csrf_token: str
    expires_at: datetime  # Vietnam time: the earlier of the idle and the absolute end

    @property
    def principal(self) -> Principal:
        return Principal(Role(self.role), self.username, self.service_point)


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # the cookie's value, given once
    session: SessionView


def _name_key(username: str) -> str:
    """The user name as signed in with (case ignored): the key of its failure count, known or not."""
    return nfc(username).strip().lower()[:64]


def _masked(name: str) -> str:
    """An unknown name as the record keeps it: it may be a password typed in the wrong field."""
    return name[:2] + "…"


class StaffAccounts:
    def __init__(self, ctx: IntakeContext, hasher: PasswordHasher | None = None) -> None:
        self.ctx = ctx
        self.hasher = hasher or password_hasher()
        self._dummy_hash: str | None = None

    # --- accounts ---------------------------------------------------------------------

    def add(
        self,
        username: str,
        role: Role | str,
        password: str,
        *,
        service_point: str | None = None,
        full_name: str = "",
        actor: str = "cli",
    ) -> StaffUserRow:
        name = self.valid_username(username)
        staff_role = self._staff_role(role)
        if staff_role == Role.COUNTER:
            if not service_point:
                raise ServiceError(
                    ErrorCode.INVALID_REQUEST, "service_point: tài khoản quầy phải gắn với một điểm tiếp nhận"
                )
            if service_point not in self.ctx.organisation.service_points:
                raise ServiceError(ErrorCode.SERVICE_POINT_UNKNOWN, service_point)
        elif service_point:
            raise ServiceError(ErrorCode.INVALID_REQUEST, "service_point: chỉ tài khoản quầy gắn với điểm tiếp nhận")
        full = nfc(full_name).strip()
        if len(full) > MAX_FULL_NAME or unsafe_character(full) is not None:
            raise ServiceError(
                ErrorCode.INVALID_REQUEST, f"full_name: tối đa {MAX_FULL_NAME} ký tự, không ký tự điều khiển"
            )
        password_hash = self.hasher.hash(self.check_password(password, name))
        now = self.ctx.clock.now()
        try:
            with self.ctx.db.transaction() as s:
                if s.scalar(select(StaffUserRow.id).where(StaffUserRow.username == name)) is not None:
                    raise ServiceError(ErrorCode.USER_EXISTS, name)
                row = StaffUserRow(
                    username=name,
                    full_name=full,
                    role=staff_role.value,
                    service_point_code=service_point if staff_role == Role.COUNTER else None,
                    password_hash=password_hash,
                    created_at=now,
                )
                s.add(row)
                self._record(s, "user_add", name, actor, f"{staff_role.value} {service_point or ''}".strip())
        except IntegrityError as exc:  # added at the same moment by someone else
            raise ServiceError(ErrorCode.USER_EXISTS, name) from exc
        log.info("staff user added: %s (%s) by %s", name, staff_role.value, actor)
        return row

    def accounts(self) -> list[StaffUserRow]:
        with self.ctx.db.reading() as s:
            return list(s.scalars(select(StaffUserRow).order_by(StaffUserRow.username)))

    def get(self, username: str) -> StaffUserRow:
        with self.ctx.db.reading() as s:
            row = s.scalar(select(StaffUserRow).where(StaffUserRow.username == _name_key(username)))
        if row is None:
            raise ServiceError(ErrorCode.USER_UNKNOWN, _name_key(username)[:64])
        return row

    def disable(self, username: str, actor: str = "cli") -> StaffUserRow:
        """The account can no longer sign in, its open sessions end now, and the dossiers it had
        open for review are free for others. It stays listed."""
        now = self.ctx.clock.now()
        with self.ctx.db.transaction() as s:
            row = self._locked_user(s, username)
            row.disabled_at = row.disabled_at or now
            ended = self._end_sessions(s, row.id, now)
            release_claims_of(s, row.username)
            self._record(s, "user_disable", row.username, actor, f"{ended} phiên kết thúc")
        log.info("staff user disabled: %s by %s", row.username, actor)
        return row

    def enable(self, username: str, actor: str = "cli") -> StaffUserRow:
        with self.ctx.db.transaction() as s:
            row = self._locked_user(s, username)
            row.disabled_at = None
            self._record(s, "user_enable", row.username, actor)
        return row

    def set_password(self, username: str, password: str, actor: str = "cli") -> None:
        """A new password (forgotten, or suspected known): the account's sessions end, its lockout is lifted."""
        name = _name_key(username)
        password_hash = self.hasher.hash(self.check_password(password, name))
        now = self.ctx.clock.now()
        with self.ctx.db.transaction() as s:
            row = self._locked_user(s, username)
            row.password_hash = password_hash
            self._end_sessions(s, row.id, now)
            s.execute(delete(SigninFailureRow).where(SigninFailureRow.username == row.username))
            self._record(s, "user_password", row.username, actor)

    @staticmethod
    def _end_sessions(s: Session, user_id: int, now: datetime) -> int:
        ended = s.execute(
            update(StaffSessionRow)
            .where(StaffSessionRow.user_id == user_id, StaffSessionRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return cast(CursorResult, ended).rowcount

    @staticmethod
    def valid_username(username: str) -> str:
        name = username.strip()
        if not name.isascii() or not USERNAME.match(name.lower()):
            raise ServiceError(
                ErrorCode.INVALID_REQUEST,
                "tên đăng nhập: chữ cái không dấu, chữ số và . - _ (tối đa 64 ký tự, bắt đầu bằng chữ hoặc số)",
            )
        return name.lower()

    @staticmethod
    def check_password(password: str, username: str) -> str:
        """The password as hashed (NFC: the same Vietnamese letters typed with any input method),
        or INVALID_REQUEST when it is too easy to guess."""
        text = nfc(password)
        if len(text) < MIN_PASSWORD:
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")
        if len(text) > MAX_PASSWORD:
            raise ServiceError(ErrorCode.INVALID_REQUEST, f"mật khẩu quá dài (tối đa {MAX_PASSWORD} ký tự)")
        if len(set(text)) < 3 or (len(username) >= 3 and username in text.lower()):
            raise ServiceError(
                ErrorCode.INVALID_REQUEST, "mật khẩu quá dễ đoán (lặp một ký tự, hoặc chứa tên đăng nhập)"
            )
        return text

    @staticmethod
    def _staff_role(role: Role | str) -> Role:
        try:
            staff_role = Role(role)
        except ValueError:
            staff_role = Role.ADMIN  # refused below
        if staff_role not in STAFF_ROLES:
            raise ServiceError(ErrorCode.INVALID_REQUEST, "vai trò: counter, reviewer hoặc supervisor")
        return staff_role

    @staticmethod
    def _locked_user(s: Session, username: str) -> StaffUserRow:
        name = _name_key(username)
        row = s.scalar(select(StaffUserRow).where(StaffUserRow.username == name).with_for_update())
        if row is None:
            raise ServiceError(ErrorCode.USER_UNKNOWN, name)
        return row

    def _record(
        self, s: Session, action: str, username: str, actor: str | None = None, detail: str | None = None
    ) -> None:
        s.add(StaffEventRow(at=self.ctx.clock.now(), action=action, username=username, actor=actor, detail=detail))

    def events(self, username: str | None = None) -> list[StaffEventRow]:
        """The record, oldest first (of one user name when given)."""
        query = select(StaffEventRow).order_by(StaffEventRow.id)
        if username is not None:
            query = query.where(StaffEventRow.username == username)
        with self.ctx.db.reading() as s:
            return list(s.scalars(query))

    # --- signing in ---------------------------------------------------------------------

    def sign_in(self, username: str, password: str, previous_token: str | None = None) -> SignedIn:
        """A new session, or SIGNIN_FAILED (wrong name or password, or a disabled account: the
        same answer), or ACCOUNT_LOCKED with the wait. `previous_token` (the browser's old
        cookie) ends that session: a sign-in never keeps a token someone else may have set."""
        key = _name_key(username)
        locked, lock_after_this = self._reserve_attempt(key)
        if locked is not None:
            raise AccountLocked(locked)
        user = None
        if USERNAME.match(key):
            with self.ctx.db.reading() as s:
                user = s.scalar(select(StaffUserRow).where(StaffUserRow.username == key))
        text = nfc(password)
        if user is not None and user.disabled_at is None:
            ok = self._verify(user.password_hash, text)
        else:  # the same Argon2 work as for an account: the time taken tells nothing
            self._verify(self.dummy_hash(), text)
            ok = False
        if not ok:
            shown = key if user is not None else _masked(key)
            with self.ctx.db.transaction() as s:
                self._record(s, "signin_failed", shown, detail="khóa" if lock_after_this else None)
            log.info("staff sign-in failed: %s", shown)
            if lock_after_this is not None:
                raise AccountLocked(lock_after_this)
            raise ServiceError(ErrorCode.SIGNIN_FAILED)
        assert user is not None
        return self._open_session(user, text, previous_token)

    def _reserve_attempt(self, key: str) -> tuple[int | None, int | None]:
        """Count this attempt as a failure before the password is checked (a success clears it),
        so parallel guesses cannot all slip in before the lock: (seconds still to wait, or None
        when the attempt may go ahead; the wait that starts if this attempt fails, or None)."""
        for attempt in (1, 2):
            try:
                return self._reserve_once(key)
            except IntegrityError:  # two first failures of one name at once: the other row is there now
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _reserve_once(self, key: str) -> tuple[int | None, int | None]:
        staff = self.ctx.settings.staff
        now = self.ctx.clock.now()
        with self.ctx.db.transaction() as s:
            row = s.get(SigninFailureRow, key, with_for_update=True)
            if row is not None and row.locked_until is not None and row.locked_until > now:
                wait = math.ceil((row.locked_until - now).total_seconds())
                self._record(s, "signin_locked", key if self._exists(s, key) else _masked(key), detail=wait_text(wait))
                return wait, None
            if row is None:
                row = SigninFailureRow(username=key, failures=0, last_failure_at=now)
                s.add(row)
            elif now - row.last_failure_at > FORGET_FAILURES_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            over = row.failures - staff.lockout_after
            if over < 0:
                row.locked_until = None
                return None, None
            seconds = min(staff.lockout_seconds * 2 ** min(over, 40), staff.lockout_max_seconds)
            row.locked_until = now + timedelta(seconds=seconds)
            return None, math.ceil(seconds)

    @staticmethod
    def _exists(s: Session, key: str) -> bool:
        return s.scalar(select(StaffUserRow.id).where(StaffUserRow.username == key)) is not None

    def dummy_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _open_session(self, user: StaffUserRow, password: str, previous_token: str | None) -> SignedIn:
        now = self.ctx.clock.now()
        new_hash = self.hasher.hash(password) if self.hasher.check_needs_rehash(user.password_hash) else None
        token = secrets.token_urlsafe(32)  # 256 bits
        with self.ctx.db.transaction() as s:
            s.execute(delete(SigninFailureRow).where(SigninFailureRow.username == user.username))
            if new_hash is not None:
                s.execute(update(StaffUserRow).where(StaffUserRow.id == user.id).values(password_hash=new_hash))
            if previous_token and len(previous_token) <= MAX_TOKEN:
                s.execute(
                    update(StaffSessionRow)
                    .where(
                        StaffSessionRow.token_hash == hash_token(previous_token), StaffSessionRow.revoked_at.is_(None)
                    )
                    .values(revoked_at=now)
                )
            s.execute(
                delete(StaffSessionRow).where(
                    StaffSessionRow.user_id == user.id, StaffSessionRow.last_seen_at < now - KEEP_ENDED_SESSIONS
                )
            )
            s.add(StaffSessionRow(token_hash=hash_token(token), user_id=user.id, created_at=now, last_seen_at=now))
            self._record(s, "signin", user.username)
        log.info("staff signed in: %s", user.username)
        return SignedIn(token, self._view(user, token, created=now, last_seen=now))

    # --- sessions -------------------------------------------------------------------------

    def session(self, token: str | None, *, touch: bool = False) -> SessionView:
        """The session of a cookie's token, or SESSION_EXPIRED (unknown, signed out, idle too
        long, too old, or its account disabled). Its idle window starts again: at once with
        `touch`, otherwise at most once a minute."""
        if not token or len(token) > MAX_TOKEN:
            raise ServiceError(ErrorCode.SESSION_EXPIRED)
        with self.ctx.db.reading() as s:
            found = s.execute(
                select(StaffSessionRow, StaffUserRow)
                .join(StaffUserRow, StaffUserRow.id == StaffSessionRow.user_id)
                .where(StaffSessionRow.token_hash == hash_token(token))
            ).first()
        if found is None:
            raise ServiceError(ErrorCode.SESSION_EXPIRED)
        row, user = found.tuple()
        now = self.ctx.clock.now()
        if (
            row.revoked_at is not None
            or user.disabled_at is not None
            or now >= self._ends(row.created_at, row.last_seen_at)
        ):
            raise ServiceError(ErrorCode.SESSION_EXPIRED)
        last_seen = row.last_seen_at
        if touch or now - last_seen >= TOUCH_EVERY:
            with self.ctx.db.transaction() as s:
                s.execute(
                    update(StaffSessionRow)
                    .where(
                        StaffSessionRow.id == row.id,
                        StaffSessionRow.revoked_at.is_(None),
                        StaffSessionRow.last_seen_at < now,
                    )
                    .values(last_seen_at=now)
                )
            last_seen = max(last_seen, now)
        return self._view(user, token, created=row.created_at, last_seen=last_seen)

    def sign_out(self, token: str | None) -> bool:
        """End the session; False when it had already ended (or never was)."""
        if not token or len(token) > MAX_TOKEN:
            return False
        now = self.ctx.clock.now()
        with self.ctx.db.transaction() as s:
            found = s.execute(
                select(StaffSessionRow, StaffUserRow)
                .join(StaffUserRow, StaffUserRow.id == StaffSessionRow.user_id)
                .where(StaffSessionRow.token_hash == hash_token(token), StaffSessionRow.revoked_at.is_(None))
                .with_for_update()
            ).first()
            if found is None:
                return False
            row, user = found.tuple()
            row.revoked_at = now
            self._record(s, "signout", user.username)
        log.info("staff signed out: %s", user.username)
        return True

    @staticmethod
    def check_csrf(token: str, presented: str | None) -> None:
        """CSRF_INVALID unless `presented` is the session's CSRF token (compared in constant time)."""
        if not presented or not hmac.compare_digest(csrf_token_for(token).encode(), presented.encode()):
            raise ServiceError(ErrorCode.CSRF_INVALID)

    def _ends(self, created: datetime, last_seen: datetime) -> datetime:
        staff = self.ctx.settings.staff
        return min(
            last_seen + timedelta(minutes=staff.idle_minutes), created + timedelta(hours=staff.max_session_hours)
        )

    def _view(self, user: StaffUserRow, token: str, *, created: datetime, last_seen: datetime) -> SessionView:
        point = user.service_point_code if user.role == Role.COUNTER.value else None
        entry = self.ctx.organisation.service_points.get(point) if point else None
        return SessionView(
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            service_point=point,
            service_point_name=entry.point.name if entry else None,
            csrf_token=csrf_token_for(token),
            expires_at=self._ends(created, last_seen).astimezone(self.ctx.clock.zone),
        )
