"""`sohoa check`: the integrity check of stored originals, packages and database references
(intake/integrity.py). Placeholder until the integrity check lands (issue 17)."""

from __future__ import annotations

import argparse
import sys


def cmd_check(_args: argparse.Namespace) -> int:
    print("sohoa check: not built yet", file=sys.stderr)
    return 2


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="verify stored files against their SHA-256 and the database's references")
    check.set_defaults(func=cmd_check)
