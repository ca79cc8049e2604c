"""Tests for the rules of tools/unasync.py, one snippet at a time (no database, no files)."""

from __future__ import annotations

import importlib
import re
import sys
import textwrap
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))
table = importlib.import_module("unasync_rules.table")
convert = importlib.import_module("unasync_rules.convert")
text = importlib.import_module("unasync_rules.text")
UnasyncError = text.UnasyncError


def sync(code: str) -> tuple[str, set[str]]:
    """Convert a snippet (no marker line); return the text and the rules that fired."""
    used: set[str] = set()
    return convert.unasync_code(textwrap.dedent(code), used), used


# --------------------------------------------------------------------------- async / await


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
    assert used == {table.RULE_KEYWORDS}


def test_await_immediately_followed_by_a_parenthesis() -> None:
    out, _ = sync("async def f():\n    return await(g())\n")
    assert out == "def f():\n    return (g())\n"


def test_await_before_a_line_continuation_keeps_the_line() -> None:
    out, _ = sync("async def f():\n    x = await \\\n        g()\n")
    assert out == "def f():\n    x = \\\n        g()\n"
    compile(out, "<test>", "exec")


# --------------------------------------------------------------------------- the rename table


@pytest.mark.parametrize(("old", "new"), sorted(table.RENAMES.items()))
def test_every_rename(old: str, new: str) -> None:
    out, used = sync(f"x = obj.{old}\n{old}()\n")
    assert out == f"x = obj.{new}\n{new}()\n"
    assert used == {table.rename_rule(old)}


def test_identifiers_are_renamed_in_every_position() -> None:
    out, used = sync(
        """\
        from twinsql.connection._async.database import AsyncDatabase as AsyncDatabase
        import tests._async.conftest
        async def async_find(db: AsyncDatabase, *, async_sleep=None) -> AsyncDatabase:
            return db.async_find(async_sleep=async_sleep)
        """
    )
    assert out == textwrap.dedent(
        """\
        from twinsql.connection._sync.database import Database as Database
        import tests._sync.conftest
        def find(db: Database, *, sleep=None) -> Database:
            return db.find(sleep=sleep)
        """
    )
    assert used == {table.RULE_KEYWORDS} | {
        table.rename_rule(name) for name in ("_async", "AsyncDatabase", "async_find", "async_sleep")
    }


def test_names_outside_the_table_are_untouched() -> None:
    """No pattern rules: AsyncMock, async_helper, asyncio and MyAsyncPool stay as written."""
    code = (
        "from unittest.mock import AsyncMock\nimport asyncio, asyncpg\n"
        "is_async = _IS_ASYNC\nMyAsyncPool = Asyncfoo = async_ = async_helper = AsyncMock()\n"
    )
    out, used = sync(code)
    assert out == code
    assert used == set()


def test_strings_and_comments_are_untouched() -> None:
    code = textwrap.dedent(
        '''\
        def f():
            """Return an AsyncDatabase; call aclose() or use ``async with db``.

            See twinsql/_async/pool.py and async_find.
            """
            # async for row in AsyncCursor: await the result, async_find
            a = "AsyncDatabase" + 'async_find' + b"AsyncPool" + r"_async"
            raise LookupError("call await Model.async_find(pk)")
        '''
    )
    out, used = sync(code)
    assert out == code
    assert used == set()


def test_all_lists_names_and_renames_them() -> None:
    out, used = sync(
        '__all__ = ["AsyncPool", "connect_async", "helper"]\n'
        "__all__ += ('async_find',)\n"
        'NOT_ALL = ["AsyncPool"]\n'
    )
    assert out == (
        '__all__ = ["Pool", "connect", "helper"]\n__all__ += (\'find\',)\nNOT_ALL = ["AsyncPool"]\n'
    )
    assert used == {table.rename_rule(n) for n in ("AsyncPool", "connect_async", "async_find")}


def test_f_string_fields_are_code_and_their_text_is_not() -> None:
    # The fields are renamed on every Python version (3.12+ tokenizes f-strings differently).
    out, used = sync(
        """\
        s = f"{{AsyncPool}} AsyncPool {AsyncPool!r:>{async_sleep}} {f'{await async_find()}'}"
        t = f'''
          AsyncPool {x} {AsyncDatabase.__name__
          } \\
          async with {n=} {d["AsyncPool"]}
        '''; z = AsyncDatabase
        """
    )
    assert out == textwrap.dedent(
        """\
        s = f"{{AsyncPool}} AsyncPool {Pool!r:>{sleep}} {f'{find()}'}"
        t = f'''
          AsyncPool {x} {Database.__name__
          } \\
          async with {n=} {d["AsyncPool"]}
        '''; z = Database
        """
    )
    assert table.RULE_KEYWORDS in used


@pytest.mark.parametrize(
    ("literal", "fields"),
    [
        ('"{a}"', []),
        ('f"plain"', []),
        ('f"{{a}} {b!r} {c:>{d}} {e=} {x != y}"', ["b", "c", "d", "e", "x != y"]),
        ("f'{a[\"}\"]:{b}}'", ['a["}"]', "b"]),
        ('rf"\\{a}"', ["a"]),
        ('f"\\N{BULLET} {a}"', ["a"]),
        ("F'''{a\n+ b}'''", ["a\n+ b"]),
        ('f"{ {1: 2}[1] }"', [" {1: 2}[1]"]),
    ],
)
def test_fstring_fields(literal: str, fields: list[str]) -> None:
    assert [literal[s:e] for s, e in text.fstring_fields(literal)] == fields


# --------------------------------------------------------------------------- _IS_ASYNC = True


def test_is_async_constant_flips() -> None:
    out, used = sync("_IS_ASYNC = True\nOTHER = True\nok = _IS_ASYNC == True\nx = True\n")
    assert out == "_IS_ASYNC = False\nOTHER = True\nok = _IS_ASYNC == True\nx = True\n"
    assert used == {table.RULE_IS_ASYNC}


# --------------------------------------------------------------------------- if _IS_ASYNC:


def test_if_is_async_with_else_keeps_the_else_body_dedented() -> None:
    out, used = sync(
        """\
        async def f():
            if _IS_ASYNC:  # the async path
                return await g()
            # between
            else:
                # sync path
                x = h(1,
                      2)
                return x
            done = 1
        """
    )
    assert out == (
        "def f():\n\n\n\n\n    # sync path\n    x = h(1,\n          2)\n    return x\n"
        "    done = 1\n"
    )
    assert used == {table.RULE_BRANCHES, table.RULE_KEYWORDS}
    compile(out, "<test>", "exec")


def test_if_is_async_without_else_leaves_nothing() -> None:
    out, used = sync("x = 1\nif _IS_ASYNC:\n    x = 2\n    y = 3\nz = x\n")
    assert out == "x = 1\n\n\n\nz = x\n"
    assert used == {table.RULE_BRANCHES}


def test_one_line_if_is_async_without_else() -> None:
    out, _ = sync("if _IS_ASYNC: import asyncio\nx = 1\n")
    assert out == "\nx = 1\n"


def test_nested_branches() -> None:
    out, _ = sync(
        """\
        class C:
            def f(self):
                try:
                    if _IS_ASYNC:
                        if _IS_ASYNC:
                            a()
                    else:
                        if _IS_ASYNC:
                            b()
                        else:
                            c()
                        if flag:
                            d()
                finally:
                    e()
        """
    )
    assert out == textwrap.dedent(
        """\
        class C:
            def f(self):
                try:







                    c()
                    if flag:
                        d()
                finally:
                    e()
        """
    )
    compile(out, "<test>", "exec")


def test_elif_chain_after_if_is_async_becomes_an_if() -> None:
    out, _ = sync(
        """\
        def f(n):
            if _IS_ASYNC:
                return 0
            elif n > 1:
                return 1
            else:
                return 2
        """
    )
    assert out == "def f(n):\n\n\n    if n > 1:\n        return 1\n    else:\n        return 2\n"


def test_strings_inside_a_kept_else_body_keep_their_lines() -> None:
    out, _ = sync(
        '''\
        if _IS_ASYNC:
            pass
        else:
            SQL = """
                SELECT 1
            """
            NOTE = f"""a
          {x}"""
        '''
    )
    assert out == '\n\n\nSQL = """\n        SELECT 1\n    """\nNOTE = f"""a\n  {x}"""\n'


def test_other_reads_of_the_flag_stay() -> None:
    code = (
        "_IS_ASYNC = True\nname = 'a' if _IS_ASYNC else 's'\n"
        "if not _IS_ASYNC:\n    raise TypeError('sync only')\nif _IS_ASYNC or x:\n    pass\n"
    )
    out, used = sync(code)
    assert out == code.replace("_IS_ASYNC = True", "_IS_ASYNC = False")
    assert used == {table.RULE_IS_ASYNC}


def test_branch_elimination_keeps_crlf() -> None:
    out, _ = sync("if _IS_ASYNC:\r\n    a()\r\nelse:\r\n    b()\r\n")
    assert out == "\r\n\r\n\r\nb()\r\n"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "if x:\n    pass\nelif _IS_ASYNC:\n    pass\n",
            "line 3: `elif _IS_ASYNC:` is not supported",
        ),
        ("if _IS_ASYNC:\n    a()\nelse: b()\n", "line 3: put the body of the `else:`"),
    ],
)
def test_unsupported_branch_shapes_are_errors(code: str, message: str) -> None:
    with pytest.raises(UnasyncError, match=re.escape(message)):
        sync(code)


# --------------------------------------------------------------------------- the guard


def test_a_rename_onto_a_name_the_file_uses_is_refused() -> None:
    code = "def find(pk):\n    return pk\n\nasync def async_find(pk):\n    return find(pk)\n"
    with pytest.raises(UnasyncError) as info:
        sync(code)
    assert str(info.value) == (
        "rename async_find -> find: 'find' is already an identifier here;"
        " rename one of them in the source (or list the pair in SHARED_TARGETS)"
    )


def test_the_guard_sees_f_string_fields() -> None:
    with pytest.raises(UnasyncError, match="rename async_find -> find: 'find' is already"):
        sync("y = f'{find}'\nz = async_find\n")


def test_the_guard_only_checks_renames_that_fire() -> None:
    out, _ = sync("x = obj.find\ny = AsyncPool()\n")
    assert out == "x = obj.find\ny = Pool()\n"


def test_the_guard_ignores_text_and_removed_branches() -> None:
    out, _ = sync(
        "# find the row\nx = 'find'\nif _IS_ASYNC:\n    find = 1\nelse:\n    y = async_find()\n"
    )
    assert out == "# find the row\nx = 'find'\n\n\n\ny = find()\n"


def test_shared_targets_may_meet_their_name() -> None:
    assert "aclose" in table.SHARED_TARGETS
    out, _ = sync("async def close(rows):\n    await rows.aclose()\n")
    assert out == "def close(rows):\n    rows.close()\n"


def test_the_real_table_is_sound() -> None:
    assert table.table_problems() == []
    assert set(table.SHARED_TARGETS) <= set(table.RENAMES)


@pytest.mark.parametrize(
    ("groups", "shared", "problem"),
    [
        ({"g": {"async_len": "len"}}, (), "async_len -> len (g): the target is a Python builtin"),
        ({"g": {"async_class": "class"}}, ("async_class",), "the target is a Python keyword"),
        ({"g": {"AsyncX": "X"}, "h": {"AsyncX": "Y"}}, (), "'AsyncX' is already renamed in g"),
        ({"g": {"AsyncX": "X", "async_x": "X"}}, (), "'AsyncX' is already renamed to 'X'"),
        ({"g": {"a-b": "c"}}, (), "both sides must be distinct identifiers"),
        ({"g": {"AsyncX": "X"}}, ("async_y",), "SHARED_TARGETS lists 'async_y'"),
    ],
)
def test_table_problems(
    groups: dict[str, dict[str, str]], shared: tuple[str, ...], problem: str
) -> None:
    problems = table.table_problems(groups, shared)
    assert len(problems) == 1
    assert problem in problems[0]


def test_a_shared_builtin_target_is_accepted() -> None:
    assert table.table_problems({"g": {"async_len": "len"}}, ("async_len",)) == []


# --------------------------------------------------------------------------- line mapping


def test_line_count_and_untouched_lines_are_preserved() -> None:
    code = textwrap.dedent(
        '''\
        @decorator(
            AsyncPool,
        )
        async def f(a,
                    b: AsyncIterator[int]) -> None:
            """Multi
            line AsyncDoc
            string."""
            if _IS_ASYNC:
                y = 2
            else:
                y = 3
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
    changed = {
        number
        for number, (before, after) in enumerate(zip(source_lines, out_lines), start=1)
        if before != after
    }
    assert changed == {2, 4, 5, 9, 10, 11, 12, 14}  # renames, async/await, the branch
    assert out_lines[11] == "    y = 3"
    compile(out, "<test>", "exec")


def test_crlf_and_missing_final_newline_survive() -> None:
    out, _ = sync("x = AsyncPool\r\ny = await_me")
    assert out == "x = Pool\r\ny = await_me"


# --------------------------------------------------------------------------- header


def test_header_replaces_the_marker_line() -> None:
    out = convert.unasync_source(
        f"{convert.MARKER}\nx = AsyncPool\n", "src/twinsql/connection/_async/pool.py", set()
    )
    assert out == (
        "# GENERATED by tools/unasync.py from src/twinsql/connection/_async/pool.py"
        " — DO NOT EDIT.\nx = Pool\n"
    )


def test_marker_only_file() -> None:
    out = convert.unasync_source(convert.MARKER, "tests/_async/__init__.py", set())
    assert out == "# GENERATED by tools/unasync.py from tests/_async/__init__.py — DO NOT EDIT."


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\n",
        "\n" + convert.MARKER + "\n",
        convert.MARKER.replace("—", "-") + "\n",
        "# GENERATED by tools/unasync.py from src/twinsql/connection/_async/a.py — DO NOT EDIT.\n",
    ],
)
def test_missing_marker_is_an_error(source: str) -> None:
    with pytest.raises(UnasyncError, match=r"src/twinsql/connection/_async/a\.py: line 1 must be"):
        convert.unasync_source(source, "src/twinsql/connection/_async/a.py", set())
