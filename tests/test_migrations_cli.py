"""``twinsql migrations``: make, check, show, apply, sql and revert from the command line on a
small project, interactive rename questions, and two processes applying at once (each
migration runs once) on every backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server

MODELS = """
from typing import ClassVar
from twinsql import BelongsTo, Field, Model

class Author(Model):
    __table_name__ = "mc_authors"
    id: int | None = None
    {name}: str = Field(max_length=80)

class Book(Model):
    __table_name__ = "mc_books"
    id: int | None = None
    title: str = ""
    author_id: int
    author: ClassVar[BelongsTo[Author]] = BelongsTo()
"""


def project(root: Path, url: str, name: str = "name") -> Path:
    (root / "mcapp").mkdir(exist_ok=True)
    (root / "mcapp" / "__init__.py").write_text("")
    (root / "mcapp" / "models.py").write_text(MODELS.format(name=name))
    (root / "pyproject.toml").write_text(
        f'[tool.twinsql]\nmodels = "mcapp.models"\nmigrations = "migs"\nurl = "{url}"\n'
    )
    return root


def twinsql_cli(root: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "twinsql", "migrations", *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(params=support.backends(is_async=False))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "mc.db"))


def _drop(url: str) -> None:
    with twinsql.connect(url) as db:
        for table in ("mc_books", "mc_authors", "twinsql_migrations"):
            db.execute_non_query(f"DROP TABLE IF EXISTS {db.dialect.quote_identifier(table)}")


def test_make_check_apply_show_and_revert(url: str, tmp_path: Path) -> None:
    root = project(tmp_path, url)
    _drop(url)
    try:
        made = twinsql_cli(root, "make")
        assert made.returncode == 0, made.stderr
        assert made.stdout == "Wrote migs/0001_initial.py\n"
        assert twinsql_cli(root, "make").stdout == "No changes.\n"
        assert twinsql_cli(root, "check").returncode == 0
        assert twinsql_cli(root, "show").stdout == "0001_initial: pending\n"
        applied = twinsql_cli(root, "apply")
        assert applied.stdout == "Applied 0001_initial\n", applied.stderr
        assert twinsql_cli(root, "show").stdout == "0001_initial: applied\n"

        project(tmp_path, url, name="full_name")
        check = twinsql_cli(root, "check")
        assert check.returncode == 1
        # In CI form there is no one to ask: the ambiguous rename is itself the failure.
        assert "error: ambiguous change: column 'mc_authors.name' was removed" in check.stderr
        refused = twinsql_cli(root, "make", "--no-input")
        assert refused.returncode == 1
        assert "'mc_authors.name' was removed and 'full_name' added" in refused.stderr
        asked = twinsql_cli(root, "make", stdin="y\n")
        assert asked.returncode == 0, asked.stderr
        assert "Was column mc_authors.name renamed to full_name? [y/N]" in asked.stdout
        second = (root / "migs" / "0002_rename_column_mc_authors_name_to_full_name.py").read_text()
        assert "ops.RenameColumn(table='mc_authors', old='name', new='full_name')" in second
        assert twinsql_cli(root, "apply").stdout == (
            "Applied 0002_rename_column_mc_authors_name_to_full_name\n"
        )
        with twinsql.connect(url) as db:
            db.execute("INSERT INTO mc_authors (full_name) VALUES ('Ann')")
        script = twinsql_cli(root, "sql", "--dialect", "postgresql").stdout
        assert 'ALTER TABLE "mc_authors" RENAME COLUMN "name" TO "full_name";' in script
        assert 'INSERT INTO "twinsql_migrations"' in script
        empty = twinsql_cli(root, "make", "--empty", "--name", "backfill")
        assert empty.stdout == "Wrote migs/0003_backfill.py\n", empty.stderr
        text = (root / "migs" / "0003_backfill.py").read_text()
        second_name = "0002_rename_column_mc_authors_name_to_full_name"
        assert f"dependencies: list[str] = [{second_name!r}]" in text
        assert "operations: list[ops.Operation] = [\n]" in text
        reverted = twinsql_cli(root, "revert", "zero")
        assert reverted.stdout == (
            "Reverted 0002_rename_column_mc_authors_name_to_full_name\nReverted 0001_initial\n"
        )
    finally:
        _drop(url)


def test_two_processes_applying_at_once_apply_each_migration_once(url: str, tmp_path: Path) -> None:
    root = project(tmp_path, url)
    _drop(url)
    try:
        assert twinsql_cli(root, "make").returncode == 0
        project(tmp_path, url, name="full_name")
        assert twinsql_cli(root, "make", stdin="y\n").returncode == 0
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, "-m", "twinsql", "migrations", "apply"]
        runs = [
            subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
            for _ in range(2)
        ]  # fmt: skip
        results = [(*run.communicate(timeout=120), run.returncode) for run in runs]
        assert [code for _, _, code in results] == [0, 0], results
        lines = [line for out, _, _ in results for line in out.splitlines() if "Applied" in line]
        assert sorted(lines) == [
            "Applied 0001_initial",
            "Applied 0002_rename_column_mc_authors_name_to_full_name",
        ]
        with twinsql.connect(url) as db:
            assert db.execute_scalar("SELECT COUNT(*) FROM twinsql_migrations") == 2
    finally:
        _drop(url)
