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


def test_isolate_errors_rejects_a_statement_with_an_operational_error_and_goes_on(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A column count that does not match (MySQL's 1136 is classed operational) is the
    statement's error: named with its line, the rest loaded."""
    path = script(tmp_path, bad="INSERT INTO cli_load VALUES (9, 'x', 'extra');\n")
    assert main(["load", url, str(path), "--isolate-errors", "--no-progress"]) == 1
    out, _ = capsys.readouterr()
    assert "applied 7  rejected 1  pending 0  unknown 0" in out
    assert "rejected #5 (line 8)" in out and "stopped by" not in out
    assert names(url) == {1: "x", 2: "it's", 3: "/* not a comment */", 4: "100%"}


def test_statements_that_refuse_a_transaction_load_in_the_default_mode(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = twinsql.parse_url(url).backend
    if backend == "mysql":
        pytest.skip("MySQL commits DDL implicitly: nothing refuses a transaction")
    alone = "VACUUM;\n"
    if backend == "postgresql":
        alone = ("CREATE INDEX CONCURRENTLY cli_load_name ON cli_load (name);\n"
                 "DROP INDEX CONCURRENTLY cli_load_name;\nVACUUM cli_load;\n")  # fmt: skip
    path = script(tmp_path, bad=alone)
    assert main(["load", url, str(path), "--no-progress"]) == 0, capsys.readouterr().out
    out, _ = capsys.readouterr()
    assert f"applied {7 + alone.count(';')}  rejected 0" in out
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
    assert "is not valid utf-8 at line 2 (invalid continuation byte)" in capsys.readouterr().err
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


def test_psql_meta_commands_pg_dump_writes_are_honoured_others_refused_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "meta.sql"
    require_server("psycopg")
    url = support.url_for("psycopg", "")
    text = ("\\restrict k1\nDROP TABLE IF EXISTS m;\n\\i other.sql\n"
            "CREATE TABLE m AS SELECT 1 AS a;\n\\unrestrict k1\n")  # fmt: skip
    path.write_text(text, encoding="utf-8")
    assert main(["load", url, str(path), "--no-progress", "--isolate-errors"]) == 1
    out = capsys.readouterr().out
    assert "applied 2  rejected 1" in out
    assert "rejected #1 (line 3): ArgumentError: the psql meta-command \\i is not supported" in out
    assert "psql meta-commands honoured: 2" in out
    with twinsql.connect(url) as db:
        assert db.execute_scalar("SELECT a FROM m") == 1  # the next statement ran alone


def test_a_byte_order_mark_and_the_scripts_transactions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bom.sql"
    path.write_bytes("\ufeffBEGIN TRANSACTION;\nCREATE TABLE b (a TEXT);\n"
                     "INSERT INTO b VALUES ('é');\nCOMMIT;\n".encode())  # fmt: skip
    url = f"sqlite:///{tmp_path / 'b.db'}"
    assert main(["load", url, str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2 statements sent" in out
    assert "BEGIN/COMMIT (2) were mapped onto the load's own transactions" in out


def test_a_statement_larger_than_max_bytes_is_sent_alone(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "big.sql"
    rows = ", ".join(f"({i}, '{i:05d}')" for i in range(300))
    path.write_text("DROP TABLE IF EXISTS cli_load;\n"
                    "CREATE TABLE cli_load (id INTEGER PRIMARY KEY, name VARCHAR(50));\n"
                    f"INSERT INTO cli_load VALUES {rows};\n", encoding="utf-8")  # fmt: skip
    assert main(["load", url, str(path), "--no-progress", "--max-bytes", "1000"]) == 0
    assert "applied 3  rejected 0" in capsys.readouterr().out
    assert len(names(url)) == 300


def test_postgresql_jsonb_question_mark_operators_are_sent_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_server("psycopg")
    url = support.url_for("psycopg", "")
    path = tmp_path / "jsonb.sql"
    path.write_text("DROP TABLE IF EXISTS cli_jsonb;\nCREATE TABLE cli_jsonb (d jsonb);\n"
                    "INSERT INTO cli_jsonb VALUES ('{\"k\": 1}');\n"
                    "DELETE FROM cli_jsonb WHERE NOT (d ? 'k' AND d ?| array['k']);\n",
                    encoding="utf-8")  # fmt: skip
    assert main(["load", url, str(path), "--no-progress"]) == 0
    assert "applied 4  rejected 0" in capsys.readouterr().out
    with twinsql.connect(url) as db:
        assert db.execute_scalar("SELECT count(*) FROM cli_jsonb") == 1


def test_nothing_sent_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.sql"
    require_server("psycopg")
    path.write_text("\\i other.sql\nSELECT 1;\n", encoding="utf-8")
    assert main(["load", support.url_for("psycopg", ""), str(path), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("1 statements read; nothing was sent to postgresql://")


def test_a_closed_pipe_ends_the_summary_quietly(tmp_path: Path) -> None:
    path = tmp_path / "many.sql"
    path.write_text("CREATE TABLE p (a INTEGER);\n" + "INSERT INTO p VALUES (x);\n" * 50,
                    encoding="utf-8")  # fmt: skip
    shell = (f"{sys.executable} -m twinsql load sqlite:///{tmp_path / 'p.db'} {path} "
             "--isolate-errors --no-progress | head -1")  # fmt: skip
    result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True,
                            check=False, timeout=60)  # fmt: skip
    assert result.stdout.decode().startswith("51 statements sent")
    assert result.stderr == b"", result.stderr.decode()
    assert result.returncode == 1  # the load's own status: statements were rejected


# -- twinsql reflect ---------------------------------------------------------------------------


def test_reflect_prints_models_of_the_chosen_tables(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.reflect_schema import DDL, DROP_ORDER, load_models

    with twinsql.connect(url) as db:
        for table in DROP_ORDER:
            db.execute(f"DROP TABLE IF EXISTS {db.dialect.quote_identifier(table)}")
        for statement in DDL[db.dialect.name]:
            db.execute(statement)
    try:
        assert main(["reflect", url, "--tables", "RfArtist, RfAlbum", "--naming", "as_is"]) == 0
        out, err = capsys.readouterr()
        assert err == ""
        models = load_models(out, tmp_path)
        assert sorted(n for n in vars(models) if n.startswith("Rf")) == ["RfAlbum", "RfArtist"]
        assert list(models.RfAlbum.model_fields) == [
            "AlbumId", "Title", "ArtistId", "Price", "Released"
        ]  # fmt: skip
        relation = "Artist: ClassVar[BelongsTo[RfArtist]] = BelongsTo(foreign_key='ArtistId')"
        assert f"\n    {relation}\n" in out
        assert "RfTrack" not in out  # a relation to a table left out is left out

        assert main(["reflect", url, "--tables", "RfArtist,nope"]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("twinsql reflect: no such table: nope; tables: ")
    finally:
        with twinsql.connect(url) as db:
            for table in DROP_ORDER:
                db.execute(f"DROP TABLE IF EXISTS {db.dialect.quote_identifier(table)}")


def test_reflect_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reflect", "postgresql://app:s3cret@host/db@x"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("twinsql reflect: ") and "s3cret" not in err
    with pytest.raises(SystemExit) as exit_info:
        main(["reflect", "sqlite:///x.db", "--naming", "camel"])
    assert exit_info.value.code == 2


def test_reflect_unreachable_server_exits_1_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["reflect", "postgresql://app:s3cret@127.0.0.1:1/db"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "twinsql reflect: " in err and "s3cret" not in err
