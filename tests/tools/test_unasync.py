"""Tests for tools/unasync.py, the generator of the sync twins (no database needed)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "unasync.py"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_unasync_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


ua = _load_tool()

MARKER = ua.MARKER


def sync(code: str) -> tuple[str, set[str]]:
    """Convert a snippet (no marker line); return the text and the rules that fired."""
    used: set[str] = set()
    return ua.unasync_code(textwrap.dedent(code), used), used


# --------------------------------------------------------------------------- rule 1


def test_async_def_with_for_and_await_are_removed() -> None:
    out, used = sync(
        """\
        async def f(xs):
            async with lock:
                async  for x in xs:
                    await   g(x)
            return [await h(y) async for y in ys]
        """
    )
    assert out == textwrap.dedent(
        """\
        def f(xs):
            with lock:
                for x in xs:
                    g(x)
            return [h(y) for y in ys]
        """
    )
    assert used == {ua.RULE_KEYWORDS}


def test_await_immediately_followed_by_a_parenthesis() -> None:
    out, _ = sync("async def f():\n    return await(g())\n")
    assert out == "def f():\n    return (g())\n"


def test_await_before_a_line_continuation_keeps_the_line() -> None:
    code = "async def f():\n    x = await \\\n        g()\n"
    out, _ = sync(code)
    assert out == "def f():\n    x = \\\n        g()\n"
    compile(out, "<test>", "exec")


def test_names_merely_containing_async_are_untouched() -> None:
    code = "import asyncio, asyncpg\nis_async = _IS_ASYNC\nMyAsyncThing = Asyncfoo = async_ = 1\n"
    out, used = sync(code)
    assert out == code
    assert used == set()


# --------------------------------------------------------------------------- rule 2


@pytest.mark.parametrize(("old", "new"), sorted(ua.RENAMES.items()))
def test_every_rename(old: str, new: str) -> None:
    out, used = sync(f"x = obj.{old}\n{old}()\n")
    assert out == f"x = obj.{new}\n{new}()\n"
    assert used == {ua.rename_rule(old)}


def test_dotted_module_paths_rename_async_part() -> None:
    out, _ = sync("from twinsql.connection._async.pool import x\nimport tests._async.conftest\n")
    assert out == "from twinsql.connection._sync.pool import x\nimport tests._sync.conftest\n"


@pytest.mark.parametrize(
    ("old", "new", "pattern_new", "pattern_rule"),
    [
        ("AsyncExitStack", "ExitStack", "ExitStack", ua.RULE_ASYNC_CLASS),
        ("async_sleep", "blocking_sleep", "sleep", ua.RULE_ASYNC_PREFIX),
    ],
)
def test_renames_win_over_patterns(
    monkeypatch: pytest.MonkeyPatch, old: str, new: str, pattern_new: str, pattern_rule: str
) -> None:
    code = f"x = {old}()  # {old}\n"
    # Without a RENAMES entry, a pattern rule converts the name ...
    out, used = sync(code)
    assert out == f"x = {pattern_new}()  # {pattern_new}\n"
    assert used == {pattern_rule}
    # ... so add a temporary entry for it.  ALL_RULES is computed from RENAMES when the tool is
    # loaded, so rebuild it the same way, or the dead-rule bookkeeping would not know the rule.
    monkeypatch.setitem(ua.RENAMES, old, new)
    rule = ua.rename_rule(old)
    all_rules = (
        ua.RULE_KEYWORDS,
        *(ua.rename_rule(name) for name in ua.RENAMES),
        ua.RULE_ASYNC_CLASS,
        ua.RULE_ASYNC_PREFIX,
        ua.RULE_IS_ASYNC,
    )
    assert tuple(r for r in all_rules if r != rule) == ua.ALL_RULES  # same recipe as the tool
    monkeypatch.setattr(ua, "ALL_RULES", all_rules)
    assert rule in ua.unused_rules(set())
    out, used = sync(code)
    assert out == f"x = {new}()  # {new}\n"
    assert used == {rule}  # the rename, not the pattern, fired (in code and in the comment)
    assert rule not in ua.unused_rules(used)


# --------------------------------------------------------------------------- rule 3


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("AsyncDatabase", "Database", ua.RULE_ASYNC_CLASS),
        ("AsyncIterator", "Iterator", ua.RULE_ASYNC_CLASS),
        ("AsyncDriverConnection", "DriverConnection", ua.RULE_ASYNC_CLASS),
        ("async_find", "find", ua.RULE_ASYNC_PREFIX),
        ("async_sleep", "sleep", ua.RULE_ASYNC_PREFIX),
    ],
)
def test_pattern_rules(old: str, new: str, rule: str) -> None:
    out, used = sync(f"y = {old}(1)\n")
    assert out == f"y = {new}(1)\n"
    assert used == {rule}


def test_patterns_never_produce_a_keyword_or_a_non_identifier() -> None:
    code = "async_def = async_1 = AsyncNone = 0\n"
    out, used = sync(code)
    assert out == code
    assert used == set()


# --------------------------------------------------------------------------- rule 4


def test_is_async_constant_flips() -> None:
    out, used = sync("_IS_ASYNC = True\nOTHER = True\nok = _IS_ASYNC == True\nx = True\n")
    assert out == "_IS_ASYNC = False\nOTHER = True\nok = _IS_ASYNC == True\nx = True\n"
    assert used == {ua.RULE_IS_ASYNC}


# --------------------------------------------------------------------------- rule 5


def test_docstrings_and_comments() -> None:
    out, used = sync(
        '''\
        def f():
            """Return an AsyncDatabase; call aclose() or use ``async with db``.

            See twinsql/_async/pool.py and async_find.  Not asyncio, not MyAsyncPool.
            """
            # async for row in AsyncCursor: await the result
        '''
    )
    assert out == textwrap.dedent(
        '''\
        def f():
            """Return an Database; call close() or use ``with db``.

            See twinsql/_sync/pool.py and find.  Not asyncio, not MyAsyncPool.
            """
            # for row in Cursor: await the result
        '''
    )
    assert used == {
        ua.RULE_ASYNC_CLASS,
        ua.RULE_ASYNC_PREFIX,
        ua.RULE_KEYWORDS,
        ua.rename_rule("aclose"),
        ua.rename_rule("_async"),
    }


def test_strings_with_prefixes_and_escapes() -> None:
    out, _ = sync('a = "\\nAsyncPool\\\\AsyncPool\\tasync_x"\nb = rb"AsyncX" + b\'AsyncY\'\n')
    assert out == 'a = "\\nPool\\\\Pool\\tx"\nb = rb"X" + b\'Y\'\n'


def test_f_strings() -> None:
    # Python 3.12+ tokenizes f-strings into FSTRING_START/MIDDLE/END; the result must not differ.
    out, _ = sync(
        """\
        s = f"{{AsyncPool}} {AsyncPool!r:>{width}} {f'{async_get()}'}" + AsyncPool
        t = f'''
          AsyncPool {x} \\
          async with
        '''; z = AsyncDatabase
        """
    )
    assert out == textwrap.dedent(
        """\
        s = f"{{Pool}} {Pool!r:>{width}} {f'{get()}'}" + Pool
        t = f'''
          Pool {x} \\
          with
        '''; z = Database
        """
    )


# --------------------------------------------------------------------------- line mapping


def test_line_count_and_untouched_lines_are_preserved() -> None:
    code = textwrap.dedent(
        '''\
        @decorator(
            AsyncThing,
        )
        async def f(a,
                    b: AsyncIterator[int]) -> None:
            """Multi
            line AsyncDoc
            string."""
            x = 1 + \\
                await g(
                    """also
        multi"""
                )
            # comment
            return x
        '''
    )
    out, _ = sync(code)
    source_lines, out_lines = code.splitlines(), out.splitlines()
    assert len(out_lines) == len(source_lines)
    for source_line, out_line in zip(source_lines, out_lines, strict=True):
        if "Async" not in source_line and "async" not in source_line and "await" not in source_line:
            assert out_line == source_line
    compile(out, "<test>", "exec")


def test_crlf_and_missing_final_newline_survive() -> None:
    out, _ = sync("x = AsyncPool\r\ny = await_me")
    assert out == "x = Pool\r\ny = await_me"


# --------------------------------------------------------------------------- header


def test_header_replaces_the_marker_line() -> None:
    text = f"{MARKER}\nx = AsyncPool\n"
    out = ua.unasync_source(text, "src/twinsql/connection/_async/pool.py", set())
    assert out == (
        "# GENERATED by tools/unasync.py from src/twinsql/connection/_async/pool.py"
        " — DO NOT EDIT.\nx = Pool\n"
    )


def test_marker_only_file() -> None:
    out = ua.unasync_source(MARKER, "tests/_async/__init__.py", set())
    assert out == "# GENERATED by tools/unasync.py from tests/_async/__init__.py — DO NOT EDIT."


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\n",
        "\n" + MARKER + "\n",
        MARKER.replace("—", "-") + "\n",
        "# GENERATED by tools/unasync.py from src/twinsql/connection/_async/a.py — DO NOT EDIT.\n",
    ],
)
def test_missing_marker_is_an_error(text: str) -> None:
    with pytest.raises(
        ua.UnasyncError, match=r"src/twinsql/connection/_async/a\.py: line 1 must be"
    ):
        ua.unasync_source(text, "src/twinsql/connection/_async/a.py", set())


# --------------------------------------------------------------------------- whole module

ASYNC_MODULE = f'''\
{MARKER}
"""Pooled cursors for AsyncDatabase: ``async with cursor`` then ``await cursor.aclose()``."""

from __future__ import annotations

from collections.abc import AsyncIterator

from twinsql.connection._async.pool import AsyncPool

_IS_ASYNC = True


class AsyncCursor:
    """Iterate rows; see :class:`AsyncPool`."""

    def __init__(self, pool: AsyncPool) -> None:
        self._pool = pool

    async def __aenter__(self) -> AsyncCursor:
        await self._pool.connect_async()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await(self._pool.release(self))

    async def fetch(self, sql: str) -> AsyncIterator[int]:
        await self._pool.execute_async(sql)
        total = await self._pool.execute_scalar_async(
            "SELECT count(*) FROM t",  # async for-free comment
        )
        async for row in self._pool.async_rows(sql):
            yield row + total
        rows = [r async for r in self._pool.async_rows(sql)]
        yield len(rows)


async def async_open(pool: AsyncPool) -> AsyncIterator[AsyncCursor]:
    async with AsyncCursor(await pool.async_acquire()) as first, \\
            AsyncCursor(await pool.async_acquire()) as cur:
        print(f"opened {{AsyncCursor.__name__}}", first)
        yield cur
'''

SYNC_MODULE = '''\
# GENERATED by tools/unasync.py from src/twinsql/connection/_async/cursor.py — DO NOT EDIT.
"""Pooled cursors for Database: ``with cursor`` then ``await cursor.close()``."""

from __future__ import annotations

from collections.abc import Iterator

from twinsql.connection._sync.pool import Pool

_IS_ASYNC = False


class Cursor:
    """Iterate rows; see :class:`Pool`."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def __enter__(self) -> Cursor:
        self._pool.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        (self._pool.release(self))

    def fetch(self, sql: str) -> Iterator[int]:
        self._pool.execute(sql)
        total = self._pool.execute_scalar(
            "SELECT count(*) FROM t",  # for-free comment
        )
        for row in self._pool.rows(sql):
            yield row + total
        rows = [r for r in self._pool.rows(sql)]
        yield len(rows)


def open(pool: Pool) -> Iterator[Cursor]:
    with Cursor(pool.acquire()) as first, \\
            Cursor(pool.acquire()) as cur:
        print(f"opened {Cursor.__name__}", first)
        yield cur
'''


def test_realistic_module_converts_exactly() -> None:
    used: set[str] = set()
    out = ua.unasync_source(ASYNC_MODULE, "src/twinsql/connection/_async/cursor.py", used)
    assert out == SYNC_MODULE
    assert out.count("\n") == ASYNC_MODULE.count("\n")
    compile(out, "src/twinsql/connection/_sync/cursor.py", "exec")
    # The module exercises every rule except the renames of module-level ``*_async``
    # helpers, which are plain whole-name swaps covered one by one in test_renames.
    assert set(ua.unused_rules(used)) <= {ua.rename_rule(n) for n in RENAMED_HELPERS}


def test_conversion_is_idempotent() -> None:
    once = ua.unasync_code(ASYNC_MODULE)
    assert ua.unasync_code(once) == once


def test_same_output_on_other_python_versions() -> None:
    """The twins must not depend on the interpreter (3.12 tokenizes f-strings differently)."""
    candidates = {Path(p) for p in Path.home().glob(".pyenv/versions/3.1*/bin/python3")}
    pythons = []
    for exe in sorted(candidates):
        probe = subprocess.run(
            [str(exe), "-c", "import sys; print(sys.version_info >= (3, 10))"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            pythons.append(exe)
    if not pythons:
        pytest.skip("no other Python 3.10+ interpreter found")
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('u', {str(TOOL)!r})\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['u'] = m\n"
        "spec.loader.exec_module(m)\n"
        "sys.stdout.write(m.unasync_source(sys.stdin.read(),"
        " 'src/twinsql/connection/_async/cursor.py'))\n"
    )
    for exe in pythons:
        result = subprocess.run(
            [str(exe), "-c", script],
            input=ASYNC_MODULE,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
        )
        assert result.stdout == SYNC_MODULE, exe


# --------------------------------------------------------------------------- trees


RENAMED_HELPERS = {n for n in ua.RENAMES if n.endswith("_async") and n != "_async"}


def make_tree(root: Path) -> None:
    """A small repo: every rule fires somewhere, with subdirectories and special file names."""
    files = {
        "src/twinsql/connection/_async/__init__.py": (
            f'{MARKER}\n"""Async API: AsyncCursor."""\n'
            # The module-level helpers, so that their renames fire in this tree too.
            + "".join(f"{name} = None\n" for name in sorted(RENAMED_HELPERS))
        ),
        "src/twinsql/connection/_async/cursor.py": ASYNC_MODULE,
        "tests/_async/conftest.py": f"{MARKER}\nimport pytest\n",
        "tests/_async/sub/test_cursor.py": (
            f"{MARKER}\nfrom tests._async.conftest import pytest\n\n\n"
            "async def test_it() -> None:\n    await async_sleep(0)\n"
        ),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


EXPECTED_TARGETS = [
    "src/twinsql/connection/_sync/__init__.py",
    "src/twinsql/connection/_sync/cursor.py",
    "tests/_sync/conftest.py",
    "tests/_sync/sub/test_cursor.py",
]


def generated(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for d in ("src/twinsql/connection/_sync", "tests/_sync")
        for p in (root / d).rglob("*.py")
    )


def test_write_mirrors_the_tree(tmp_path: Path) -> None:
    make_tree(tmp_path)
    assert ua.main(["--root", str(tmp_path)]) == 0
    assert generated(tmp_path) == EXPECTED_TARGETS
    target = tmp_path / "src/twinsql/connection/_sync/cursor.py"
    assert target.read_text(encoding="utf-8") == SYNC_MODULE
    assert (tmp_path / "tests/_sync/sub/test_cursor.py").read_text(encoding="utf-8") == (
        "# GENERATED by tools/unasync.py from tests/_async/sub/test_cursor.py — DO NOT EDIT.\n"
        "from tests._sync.conftest import pytest\n\n\n"
        "def test_it() -> None:\n    sleep(0)\n"
    )


def test_second_write_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path)
    assert ua.main(["--root", str(tmp_path)]) == 0
    first = capsys.readouterr().out
    assert all(f"wrote {name}" in first for name in EXPECTED_TARGETS)
    assert ua.main(["--root", str(tmp_path)]) == 0
    assert "wrote" not in capsys.readouterr().out


def test_check_passes_on_fresh_output(tmp_path: Path) -> None:
    make_tree(tmp_path)
    assert ua.main(["--root", str(tmp_path)]) == 0
    assert ua.main(["--root", str(tmp_path), "--check"]) == 0


def _fresh(tmp_path: Path) -> Path:
    make_tree(tmp_path)
    assert ua.main(["--root", str(tmp_path)]) == 0
    return tmp_path


def test_check_fails_on_stale_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _fresh(tmp_path)
    source = root / "tests/_async/conftest.py"
    source.write_text(source.read_text(encoding="utf-8") + "X = 1\n", encoding="utf-8")
    capsys.readouterr()
    assert ua.main(["--root", str(root), "--check"]) == 1
    out = capsys.readouterr().out
    assert "tests/_sync/conftest.py: differs from the generated text from line 3 on" in out
    assert ua.main(["--root", str(root)]) == 0  # regenerating fixes it
    assert ua.main(["--root", str(root), "--check"]) == 0


def test_check_fails_on_hand_edited_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _fresh(tmp_path)
    target = root / "src/twinsql/connection/_sync/cursor.py"
    target.write_text(SYNC_MODULE.replace("return self\n", "return  self\n", 1), encoding="utf-8")
    capsys.readouterr()
    assert ua.main(["--root", str(root), "--check"]) == 1
    assert "src/twinsql/connection/_sync/cursor.py: differs" in capsys.readouterr().out
    assert target.read_text(encoding="utf-8") != SYNC_MODULE  # --check writes nothing


def test_check_fails_on_missing_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _fresh(tmp_path)
    (root / "tests/_sync/sub/test_cursor.py").unlink()
    capsys.readouterr()
    assert ua.main(["--root", str(root), "--check"]) == 1
    assert "tests/_sync/sub/test_cursor.py: missing" in capsys.readouterr().out
    assert not (root / "tests/_sync/sub/test_cursor.py").exists()


def test_orphans_fail_the_check_and_are_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _fresh(tmp_path)
    orphan = root / "src/twinsql/connection/_sync/old/gone.py"
    orphan.parent.mkdir()
    orphan.write_text("x = 1\n", encoding="utf-8")
    (root / "src/twinsql/connection/_sync/notes.txt").write_text("not python\n", encoding="utf-8")
    capsys.readouterr()
    assert ua.main(["--root", str(root), "--check"]) == 1
    assert "src/twinsql/connection/_sync/old/gone.py: orphan" in capsys.readouterr().out
    assert orphan.exists()
    assert ua.main(["--root", str(root)]) == 0
    assert "deleted src/twinsql/connection/_sync/old/gone.py" in capsys.readouterr().out
    assert not orphan.exists()
    assert (root / "src/twinsql/connection/_sync/notes.txt").exists()  # only .py files are managed
    assert ua.main(["--root", str(root), "--check"]) == 0


def test_missing_marker_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path)
    (tmp_path / "tests/_async/helper.py").write_text("x = 1\n", encoding="utf-8")
    assert ua.main(["--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "tests/_async/helper.py: line 1 must be the marker line" in err
    assert not (tmp_path / "tests/_sync").exists()  # nothing written


def test_a_twin_that_does_not_compile_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path)
    # f-string expressions are rewritten like strings, so this `await` survives.
    (tmp_path / "tests/_async/bad.py").write_text(
        f'{MARKER}\nasync def f():\n    return f"{{await g()}}"\n', encoding="utf-8"
    )
    assert ua.main(["--root", str(tmp_path), "--check"]) == 2
    assert "tests/_async/bad.py: the generated twin does not compile: line 3" in (
        capsys.readouterr().err
    )


def test_unused_rules_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "src/twinsql/connection/_async/small.py"
    source.parent.mkdir(parents=True)
    source.write_text(f"{MARKER}\nasync def f() -> AsyncPool: ...\n", encoding="utf-8")
    for args in ([], ["--check"]):
        assert ua.main(["--root", str(tmp_path), *args]) == 2
        err = capsys.readouterr().err
        assert "never fired" in err
        assert f"  {ua.rename_rule('aclose')}\n" in err
        assert ua.RULE_IS_ASYNC in err
        assert ua.RULE_KEYWORDS not in err and ua.RULE_ASYNC_CLASS not in err
    assert not (tmp_path / "src/twinsql/connection/_sync").exists()


def test_rules_count_across_all_files() -> None:
    assert ua.unused_rules(set()) == list(ua.ALL_RULES)
    assert len(ua.ALL_RULES) == len(set(ua.ALL_RULES)) == len(ua.RENAMES) + 4


def test_rules_used_in_different_files_count(tmp_path: Path) -> None:
    """Split the realistic module's rules over two files: the run as a whole uses them all."""
    make_tree(tmp_path)
    cursor = tmp_path / "src/twinsql/connection/_async/cursor.py"
    text = cursor.read_text(encoding="utf-8")
    cursor.write_text(text.replace("_IS_ASYNC = True", "_IS_SYNC = False"), encoding="utf-8")
    plan = ua.build_plan(tmp_path)
    assert ua.unused_rules(plan.used) == [ua.RULE_IS_ASYNC]
    other = tmp_path / "tests/_async/flag.py"
    other.write_text(f"{MARKER}\n_IS_ASYNC = True\n", encoding="utf-8")
    assert ua.unused_rules(ua.build_plan(tmp_path).used) == []


def test_build_plan_accepts_directory_pairs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/m.py").write_text(f"{MARKER}\nx = AsyncPool\n", encoding="utf-8")
    plan = ua.build_plan(tmp_path, [("a", tmp_path / "b")])
    assert [(g.target, g.text) for g in plan.files] == [
        (
            tmp_path / "b/m.py",
            "# GENERATED by tools/unasync.py from a/m.py — DO NOT EDIT.\nx = Pool\n",
        )
    ]
    assert plan.orphans == ()
    assert ua.write(plan) == ["wrote b/m.py"]
    assert ua.check(plan) == []


def test_no_sources_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ua.main(["--root", str(tmp_path), "--check"]) == 0
    assert "no async sources" in capsys.readouterr().err


def test_cli_in_a_subprocess(tmp_path: Path) -> None:
    make_tree(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(TOOL), "--root", str(tmp_path), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tmp_path / "src",  # any cwd works
        )

    result = run("--check")
    assert result.returncode == 1, result
    assert "src/twinsql/connection/_sync/cursor.py: missing" in result.stdout
    result = run()
    assert result.returncode == 0, result
    assert "wrote tests/_sync/sub/test_cursor.py" in result.stdout
    assert generated(tmp_path) == EXPECTED_TARGETS
    result = run("--check")
    assert result.returncode == 0, result
    (tmp_path / "tests/_async/bad.py").write_text("x = 1\n", encoding="utf-8")
    result = run("--check")
    assert result.returncode == 2
    assert "tests/_async/bad.py" in result.stderr
