"""``twinsql load``: stream a SQL file through the batcher and print the ledger."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import twinsql
from tests import support
from tests.conftest import require_server
from twinsql.cli import main

SCRIPT = """-- a dump; with a comment that has a ; in it
DROP TABLE IF EXISTS cli_load;
CREATE TABLE cli_load (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);
INSERT INTO cli_load VALUES (1, 'a;b');
INSERT INTO cli_load VALUES (2, 'it''s');
INSERT INTO cli_load VALUES
  (3, '/* not a comment */');
{bad}INSERT INTO cli_load VALUES (4, '100%');
UPDATE cli_load SET name = 'x' WHERE id = 1;
"""


@pytest.fixture(params=support.backends(is_async=False))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "cli.db"))


def script(tmp_path: Path, bad: str = "") -> Path:
    path = tmp_path / "load.sql"
    path.write_text(SCRIPT.format(bad=bad), encoding="utf-8")
    return path


def names(url: str) -> dict[int, str]:
    with twinsql.connect(url) as db:
        return {int(r["id"]): r["name"] for r in db.execute("SELECT id, name FROM cli_load")}


def test_load_applies_every_statement(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", url, str(script(tmp_path)), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "7 statements sent to" in out and "applied 7  rejected 0" in out
    assert err == ""
    assert names(url) == {1: "x", 2: "it's", 3: "/* not a comment */", 4: "100%"}


def test_a_failing_statement_stops_the_load_with_its_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = script(tmp_path, bad="INSERT INTO cli_load VALUES (9, NULL);\n")
    assert main(["load", url, str(path), "--no-progress"]) == 1
    out, _ = capsys.readouterr()
    assert "rejected 1" in out
    assert "rejected #5 (line 8): NotNullViolation" in out
    assert "stopped by NotNullViolation" in out


def test_isolate_errors_loads_the_rest(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = script(tmp_path, bad="INSERT INTO cli_load VALUES (9, NULL);\n")
    assert main(["load", url, str(path), "--isolate-errors", "--no-progress"]) == 1
    out, _ = capsys.readouterr()
    assert "applied 7  rejected 1  pending 0  unknown 0" in out
    assert names(url) == {1: "x", 2: "it's", 3: "/* not a comment */", 4: "100%"}


def test_dry_run_sends_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with twinsql.connect(url) as db:
        db.execute_non_query("DROP TABLE IF EXISTS cli_load")
    assert main(["load", url, str(script(tmp_path)), "--dry-run", "--no-progress"]) == 0
    out, _ = capsys.readouterr()
    assert "7 statements planned" in out and "dry run" in out
    with twinsql.connect(url) as db, pytest.raises(twinsql.ProgrammingError):
        db.execute("SELECT * FROM cli_load")


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "sqlite://", str(tmp_path / "missing.sql")]) == 2
    assert "cannot open" in capsys.readouterr().err
    assert main(["load", "nosuch://x", str(script(tmp_path))]) == 2
    assert main(["load", "sqlite://", str(script(tmp_path)), "--encoding", "klingon"]) == 2
    with pytest.raises(SystemExit):
        main(["load"])


def test_the_password_is_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sentinel = "S3ntinel-Pa55"
    url = f"postgresql://someone:{sentinel}@127.0.0.1:9/db?connect_timeout=2"
    status = main(["load", url, str(script(tmp_path)), "--retries", "1", "--no-progress"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "ConnectionLost" in out
    assert sentinel not in out + err


def test_python_dash_m_reads_stdin(tmp_path: Path) -> None:
    db_path = tmp_path / "stdin.db"
    result = subprocess.run(
        [sys.executable, "-m", "twinsql", "load", f"sqlite:///{db_path}", "-"],
        input=SCRIPT.format(bad="").encode(),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"applied 7" in result.stdout
    assert names(f"sqlite:///{db_path}")[2] == "it's"


def test_bad_encoding_in_the_file_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin1.sql"
    path.write_bytes(b"CREATE TABLE e (a TEXT);\nINSERT INTO e VALUES ('caf\xe9');\n")
    assert main(["load", f"sqlite:///{tmp_path / 'e.db'}", str(path), "--no-progress"]) == 1
    assert "not valid utf-8" in capsys.readouterr().err
    assert main(["load", f"sqlite:///{tmp_path / 'e2.db'}", str(path), "--encoding", "latin-1",
                 "--no-progress"]) == 0  # fmt: skip


def test_progress_plain_fallback_and_tqdm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress goes to stderr: tqdm when installed, else plain lines (forced here by
    asking for one at every chance rather than every few seconds)."""
    import twinsql.cli as cli

    path = script(tmp_path)
    monkeypatch.setattr(cli, "_PLAIN_EVERY", 0.0)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if not installed
    assert main(["load", f"sqlite:///{tmp_path / 'p1.db'}", str(path)]) == 0
    err = capsys.readouterr().err
    assert "load: 0.0 MB of 0.0 MB read" in err and "statements applied" in err
    monkeypatch.undo()
    pytest.importorskip("tqdm")
    assert main(["load", f"sqlite:///{tmp_path / 'p2.db'}", str(path)]) == 0
    err = capsys.readouterr().err
    assert "load:" in err and "B/s" in err  # tqdm's bar
