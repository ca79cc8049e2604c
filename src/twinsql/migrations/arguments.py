"""Migrations feature, pure: the arguments of ``twinsql migrations`` (argparse only).

Apart from ``cli``, which runs the command, so that building the ``twinsql`` parser for any
command imports nothing of the migrations machinery.
"""

from __future__ import annotations

from typing import Any

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "migrations",
        help="make and apply schema migrations",
        description="Schema migrations generated from the models (see README, Migrations).",
    )
    parser.add_argument("--models", help="module(s) holding the models, comma-separated")
    parser.add_argument("--dir", dest="directory", help="migrations directory")
    parser.add_argument("--url", help="database URL (else [tool.twinsql] url or TWINSQL_URL)")
    sub = parser.add_subparsers(dest="action", required=True)
    make = sub.add_parser("make", help="write a migration for the models' changes")
    make.add_argument("--name", help="the slug of the file name")
    make.add_argument("--no-input", action="store_true", help="fail instead of asking")
    make.add_argument(
        "--empty", action="store_true", help="an empty migration to fill by hand (needs --name)"
    )
    make.add_argument(
        "--allow-destructive", action="store_true", help="allow dropping tables and columns"
    )
    apply = sub.add_parser("apply", help="apply pending migrations (up to TARGET)")
    apply.add_argument("target", nargs="?")
    apply.add_argument(
        "--fake", action="store_true", help="record as applied without running (adoption)"
    )
    revert = sub.add_parser("revert", help="revert migrations after TARGET ('zero': all)")
    revert.add_argument("target")
    sub.add_parser("show", help="list migrations: applied, partly applied, pending")
    plan = sub.add_parser("plan", help="dry run: what apply would run, with its SQL")
    plan.add_argument("target", nargs="?")
    sql = sub.add_parser("sql", help="the offline SQL script of the migrations")
    sql.add_argument("target", nargs="?")
    sql.add_argument("--dialect", choices=("sqlite", "postgresql", "mysql"))
    sub.add_parser("check", help="exit 1 if the models changed without a migration")
    sub.add_parser("merge", help="join two branches of migrations")
    squash = sub.add_parser("squash", help="one migration replacing those up to TARGET")
    squash.add_argument("target")
