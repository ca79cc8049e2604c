"""A script splits as psql splits it: the same file run by ``psql -f`` and by ``twinsql
load`` leaves the same rows — with ``standard_conforming_strings`` off (set by the script or
by the database) and with a rule of several actions in parentheses."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.dumps.roundtrip import _pg_params, load, pg_connect, pg_database, pg_url, tool

SCHEMA = """\
CREATE TABLE t (id int PRIMARY KEY, s text);
CREATE TABLE log (id int, what text);
CREATE RULE r AS ON INSERT TO t DO ALSO (
    INSERT INTO log VALUES (NEW.id, 'first; of two');
    INSERT INTO log VALUES (NEW.id, 'second')
);
"""

# With standard_conforming_strings off, '\\'' is a quote inside the string: the ";" after
# it is text, and the rows after it are rows.
NONSTANDARD = """\
INSERT INTO t VALUES (1, 'It\\'s; here');
INSERT INTO t VALUES (2, 'back\\\\slash; and \\'quote\\'');
INSERT INTO t VALUES (3, 'tab\\tnewline\\n');
INSERT INTO t VALUES (4, E'e \\'string\\'; too');
"""

SCRIPT = (
    SCHEMA
    + "SET standard_conforming_strings = off;\n"
    + NONSTANDARD
    + "SET standard_conforming_strings TO on;\n"
    + "INSERT INTO t VALUES (5, 'plain \\');\n"
    + "INSERT INTO t VALUES (6, 'after; the plain one');\n"
    + "SET standard_conforming_strings = 'of';\n"  # a prefix of off, as the server reads it
    + "INSERT INTO t VALUES (7, 'again \\'; off');\n"
    + "RESET standard_conforming_strings;\n"
    + "INSERT INTO t VALUES (8, 'reset \\');\n"
)


def psql(database: str, path: Path) -> None:
    params = _pg_params(database)
    subprocess.run(
        [tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(params["host"]),
         "-p", str(params["port"]), "-U", params["user"], "-d", database, "-f", str(path)],
        check=True, timeout=60, capture_output=True,
    )  # fmt: skip


def contents(database: str) -> dict[str, Any]:
    with pg_connect(database) as conn:
        return {
            "t": conn.execute("SELECT * FROM t ORDER BY id").fetchall(),
            "log": conn.execute("SELECT * FROM log ORDER BY id, what").fetchall(),
            "rules": conn.execute(
                "SELECT rulename, definition FROM pg_rules WHERE schemaname = 'public'"
            ).fetchall(),
        }


def test_a_script_setting_standard_conforming_strings_and_a_multi_action_rule(
    tmp_path: Path,
) -> None:
    path = tmp_path / "script.sql"
    path.write_text(SCRIPT, encoding="utf-8")
    with pg_database() as native, pg_database() as loaded:
        psql(native, path)
        assert load(pg_url(loaded), path) == 0
        expected, found = contents(native), contents(loaded)
    assert found == expected
    assert len(expected["t"]) == 8 and len(expected["log"]) == 16
    assert expected["t"][0] == (1, "It's; here")


def test_a_database_whose_sessions_start_with_standard_conforming_strings_off(
    tmp_path: Path,
) -> None:
    path = tmp_path / "script.sql"
    path.write_text(SCHEMA + NONSTANDARD, encoding="utf-8")
    with pg_database() as native, pg_database() as loaded:
        for name in (native, loaded):
            with pg_connect("postgres") as admin:
                admin.execute(
                    f'ALTER DATABASE "{name}" SET standard_conforming_strings = off'.encode()
                )
        psql(native, path)
        assert load(pg_url(loaded), path) == 0
        expected, found = contents(native), contents(loaded)
    assert found == expected
    assert [row[1] for row in expected["t"]][:2] == ["It's; here", "back\\slash; and 'quote'"]
