"""`sohoa users`: staff accounts for the screens (`intake.staff`).

    sohoa users add NAME --role counter --service-point CODE [--full-name "…"] [--password-stdin]
    sohoa users list
    sohoa users disable NAME | enable NAME
    sohoa users password NAME [--password-stdin]

A password is read without echo and asked twice, or read as the first line of stdin with
`--password-stdin` (scripts); it never appears on the command line. A refusal is one line on
stderr and exit 2 (`api.cli.main`).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

EXIT_OK = 0
ROLES = ("counter", "reviewer", "supervisor")


def _actor() -> str:
    """Who ran the command, for the record (the operator's login name where there is one)."""
    return f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or '?'}"[:128]


def _read_password(from_stdin: bool) -> str:
    from api.cli import UsageError

    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UsageError("--password-stdin: nothing on stdin")
        return line.rstrip("\r\n")
    first = getpass.getpass("Mật khẩu (password): ")
    again = getpass.getpass("Nhập lại mật khẩu (again): ")
    if first != again:
        raise UsageError("the two passwords differ; nothing was changed")
    return first


def _open():  # noqa: ANN202  (-> IntakeService, imported late: the CLI starts fast)
    from intake.service import open_service
    from intake.settings import get_settings

    return open_service(get_settings())


def cmd_users_add(args: argparse.Namespace) -> int:
    from api.cli import UsageError
    from intake.staff import StaffAccounts

    if args.role == "counter" and not args.service_point:
        raise UsageError("a counter belongs to one service point: --service-point CODE")
    if args.role != "counter" and args.service_point:
        raise UsageError(f"--service-point is for counter staff, not for role {args.role}")
    name = StaffAccounts.valid_username(args.name)  # before the password is typed for nothing
    password = _read_password(args.password_stdin)
    StaffAccounts.check_password(password, name)
    service = _open()
    row = service.staff.add(
        name, args.role, password, service_point=args.service_point, full_name=args.full_name, actor=_actor()
    )
    where = f", {row.service_point_code}" if row.service_point_code else ""
    print(f"sohoa users: đã tạo tài khoản {row.username} ({row.role}{where})", file=sys.stderr)
    return EXIT_OK


def cmd_users_list(_args: argparse.Namespace) -> int:
    service = _open()
    zone = service.ctx.clock.zone
    print(f"{'USERNAME':<24} {'FULL NAME':<32} {'ROLE':<11} {'SERVICE POINT':<16} DISABLED")
    for row in service.staff.accounts():
        disabled = f"{row.disabled_at.astimezone(zone):%d/%m/%Y %H:%M}" if row.disabled_at else "-"
        print(
            f"{row.username:<24} {row.full_name or '-':<32} {row.role:<11} "
            f"{row.service_point_code or '-':<16} {disabled}"
        )
    return EXIT_OK


def cmd_users_disable(args: argparse.Namespace) -> int:
    row = _open().staff.disable(args.name, actor=_actor())
    print(f"sohoa users: đã khóa tài khoản {row.username}; các phiên đang mở đã kết thúc", file=sys.stderr)
    return EXIT_OK


def cmd_users_enable(args: argparse.Namespace) -> int:
    row = _open().staff.enable(args.name, actor=_actor())
    print(f"sohoa users: đã mở lại tài khoản {row.username}", file=sys.stderr)
    return EXIT_OK


def cmd_users_password(args: argparse.Namespace) -> int:
    from intake.staff import StaffAccounts

    service = _open()
    row = service.staff.get(args.name)  # an unknown name is refused before the password is typed
    password = _read_password(args.password_stdin)
    StaffAccounts.check_password(password, row.username)
    service.staff.set_password(row.username, password, actor=_actor())
    print(f"sohoa users: đã đổi mật khẩu của {row.username}; các phiên đang mở đã kết thúc", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="staff accounts for the screens: add, list, disable, enable, password")
    actions = users.add_subparsers(dest="action", required=True, metavar="{add,list,disable,enable,password}")

    add = actions.add_parser("add", help="a new staff account (the password is asked twice, without echo)")
    add.add_argument("name", help="user name: ASCII lowercase letters, digits, . - _")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--service-point", metavar="CODE", help="a counter's service point (required for counters)")
    add.add_argument("--full-name", default="", metavar="TEXT", help="họ và tên, shown on the screens and receipts")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    add.set_defaults(func=cmd_users_add)

    listing = actions.add_parser("list", help="every account: user name, full name, role, service point, disabled")
    listing.set_defaults(func=cmd_users_list)

    disable = actions.add_parser("disable", help="the account can no longer sign in; its sessions end now")
    disable.add_argument("name")
    disable.set_defaults(func=cmd_users_disable)

    enable = actions.add_parser("enable", help="a disabled account may sign in again")
    enable.add_argument("name")
    enable.set_defaults(func=cmd_users_enable)

    password = actions.add_parser("password", help="set a new password (ends the account's sessions and lockout)")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    password.set_defaults(func=cmd_users_password)
