#!/usr/bin/env python3
"""Generate the sync twins of twinsql's async code.

Layer and job: this is a build tool, not part of the installed ``twinsql`` package and
never imported at run time.  I/O code is written once, as async code, under each feature's
``_async/`` folder (``src/twinsql/FEATURE/_async/``) and ``tests/_async/``; this tool writes
the sync twins into the ``_sync/`` folder beside each (same file names, subdirectories
mirrored) and, with ``--check``, verifies in CI that the committed twins are exactly what
it would generate.

Usage::

    python tools/unasync.py            # (re)write the twins, delete orphans
    python tools/unasync.py --check    # write nothing; exit 1 if anything differs
    python tools/unasync.py --root DIR # act on another checkout (used by the tests)

Exit status: 0 success, 1 ``--check`` found a missing, stale, hand-edited or orphan file,
2 error (the rename table is unsound, a source lacks the marker line, does not tokenize,
renames onto a name it already uses, its twin does not compile, or a rule never fired
across all the sources).

The rules (a closed set; the package ``unasync_rules`` beside this file implements them):

1. ``if _IS_ASYNC:`` statements keep only their ``else`` body, dedented; the removed
   lines become empty lines (``unasync_rules.branches``);
2. ``await`` is removed, and ``async`` before ``def``, ``with`` and ``for``;
3. identifiers listed in the rename table are renamed (``AsyncDatabase`` -> ``Database``,
   ``async_find`` -> ``find``, ``__aenter__`` -> ``__enter__``, ``_async`` -> ``_sync`` in
   module paths, ...): NAME tokens only, including attributes, keyword-argument names and
   f-string replacement fields, plus the names listed as strings in ``__all__``; never
   other text of strings or comments (``unasync_rules.table``, ``unasync_rules.convert``);
4. ``_IS_ASYNC = True`` becomes ``_IS_ASYNC = False``;
5. line 1 of every source must be the marker line (``unasync_rules.convert.MARKER``); in
   the twin it becomes a ``GENERATED ... DO NOT EDIT`` header naming the source.

Line N of a twin is line N of its source, so a traceback through ``_sync`` points at the
same line in ``_async``.  Guards: a rename onto a keyword is an error; one onto a builtin
or onto a name the same source already uses is an error unless the table lists the pair in
``SHARED_TARGETS``; a rule that never fires across all the sources is dead and must go.

Why not the ``unasync`` package from PyPI: we need line-for-line output, a header that
keeps line numbers, a check mode for CI, the guards above and no dependency beyond the
standard library; an explicit table is clearer than configuring someone else's patterns.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from unasync_rules.convert import unasync_source
from unasync_rules.table import ALL_RULES, table_problems
from unasync_rules.text import UnasyncError

REPO_ROOT: Final = Path(__file__).resolve().parent.parent

# (async source directory, sync target directory), relative to the repo root.
DIR_PAIRS: Final[tuple[tuple[str, str], ...]] = (
    ("src/twinsql/connection/_async", "src/twinsql/connection/_sync"),
    ("src/twinsql/orm/_async", "src/twinsql/orm/_sync"),
    ("src/twinsql/batch/_async", "src/twinsql/batch/_sync"),
    ("src/twinsql/testing/_async", "src/twinsql/testing/_sync"),
    ("src/twinsql/migrations/_async", "src/twinsql/migrations/_sync"),
    ("tests/_async", "tests/_sync"),
)


@dataclass(frozen=True)
class Generated:
    """One sync twin: where its source is, where it goes and what it must contain."""

    source: Path
    target: Path
    text: str


@dataclass(frozen=True)
class Plan:
    """Everything one run would write or delete, and which rules fired."""

    root: Path
    files: tuple[Generated, ...]
    orphans: tuple[Path, ...]
    used: frozenset[str]


def relative(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` with forward slashes (absolute if outside ``root``)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _python_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*.py") if p.is_file())


def _read(path: Path) -> str:
    # Bytes, then decode: no newline translation, so "\r\n" survives a round trip.
    return path.read_bytes().decode("utf-8")


def build_plan(root: Path, pairs: Iterable[tuple[str | Path, str | Path]] = DIR_PAIRS) -> Plan:
    """Convert every source under each (source dir, target dir) pair; relative dirs are under root.

    Reads only.  Raises UnasyncError if the rename table is unsound, or listing every
    source that cannot be converted or whose twin does not compile.
    """
    problems = table_problems()
    if problems:
        raise UnasyncError("the rename table:\n" + "\n".join(problems))
    root = root.resolve()
    files: list[Generated] = []
    orphans: list[Path] = []
    used: set[str] = set()
    errors: list[str] = []
    for source_dir, target_dir in pairs:
        source_root, target_root = root / source_dir, root / target_dir
        targets: set[Path] = set()
        for source in _python_files(source_root):
            target = target_root / source.relative_to(source_root)
            targets.add(target)
            label = relative(root, source)
            try:
                text = unasync_source(_read(source), label, used)
            except UnicodeDecodeError as exc:
                errors.append(f"{label}: not UTF-8: {exc}")
                continue
            except UnasyncError as exc:
                errors.extend(
                    line if line.startswith(label) else f"{label}: {line}"
                    for line in str(exc).splitlines()
                )
                continue
            try:
                compile(text, relative(root, target), "exec", dont_inherit=True)
            except SyntaxError as exc:
                errors.append(
                    f"{label}: the generated twin does not compile: line {exc.lineno}: {exc.msg}"
                )
                continue
            files.append(Generated(source, target, text))
        orphans.extend(p for p in _python_files(target_root) if p not in targets)
    if errors:
        raise UnasyncError("\n".join(errors))
    return Plan(root, tuple(files), tuple(orphans), frozenset(used))


def unused_rules(used: Iterable[str]) -> list[str]:
    """The rules (in ALL_RULES order) that never fired."""
    fired = set(used)
    return [rule for rule in ALL_RULES if rule not in fired]


def _first_difference(expected: str, actual: str) -> int:
    """1-based number of the first line where the two texts differ."""
    expected_lines = expected.splitlines(keepends=True)
    actual_lines = actual.splitlines(keepends=True)
    for number, (want, got) in enumerate(zip(expected_lines, actual_lines, strict=False), start=1):
        if want != got:
            return number
    return min(len(expected_lines), len(actual_lines)) + 1


def check(plan: Plan) -> list[str]:
    """One line per generated file that is missing, differs, or is an orphan; empty if all match."""
    problems: list[str] = []
    for generated in plan.files:
        name = relative(plan.root, generated.target)
        if not generated.target.is_file():
            problems.append(f"{name}: missing")
            continue
        actual = _read(generated.target)
        if actual != generated.text:
            line = _first_difference(generated.text, actual)
            problems.append(
                f"{name}: differs from the generated text from line {line} on"
                " (stale, or edited by hand)"
            )
    for orphan in plan.orphans:
        problems.append(f"{relative(plan.root, orphan)}: orphan (no async source)")
    return problems


def write(plan: Plan) -> list[str]:
    """Write every twin whose text changed and delete orphans; one line per file touched."""
    done: list[str] = []
    for generated in plan.files:
        target = generated.target
        if target.is_file() and _read(target) == generated.text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(generated.text.encode("utf-8"))
        done.append(f"wrote {relative(plan.root, target)}")
    for orphan in plan.orphans:
        orphan.unlink()
        done.append(f"deleted {relative(plan.root, orphan)} (orphan: no async source)")
    return done


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the sync twins of twinsql's async sources."
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a twin is missing, stale, hand-edited or an orphan",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=REPO_ROOT,
        help="repository root to act on (default: the parent of tools/)",
    )
    args = parser.parse_args(argv)
    root: Path = args.root

    try:
        plan = build_plan(root)
    except UnasyncError as exc:
        print(f"unasync: error:\n{exc}", file=sys.stderr)
        return 2

    if not plan.files:
        dirs = ", ".join(source for source, _ in DIR_PAIRS)
        print(
            f"unasync: warning: no async sources found under {dirs}; nothing to do", file=sys.stderr
        )
        return 0

    unused = unused_rules(plan.used)
    if unused:
        listing = "\n".join(f"  {rule}" for rule in unused)
        print(
            "unasync: error: these rules never fired in any source; they are dead,"
            f" remove them from tools/unasync.py:\n{listing}",
            file=sys.stderr,
        )
        return 2

    if args.check:
        problems = check(plan)
        if problems:
            print("\n".join(problems))
            print(
                f"unasync: {len(problems)} file(s) out of date;"
                " run `python tools/unasync.py` to regenerate",
                file=sys.stderr,
            )
            return 1
        print(f"unasync: {len(plan.files)} sync file(s) up to date")
        return 0

    done = write(plan)
    for line in done:
        print(line)
    print(f"unasync: {len(plan.files)} sync file(s) generated, {len(done)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
