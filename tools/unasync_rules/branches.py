"""Eliminate ``if _IS_ASYNC:`` branches from a twin, keeping line N at line N.

Layer and job: build tooling (standard library only).  In the twin, a statement
``if _IS_ASYNC:`` keeps only its ``else`` body, dedented to the ``if``'s own column;
without an ``else`` it keeps nothing.  The lines of everything removed (the ``if`` line,
its body, the ``else:`` line) become empty lines, so every remaining line stays at its
number.  ``if _IS_ASYNC: ... elif c: ...`` keeps the ``elif`` chain, its first ``elif``
becoming ``if``.  Branches nest: an ``if _IS_ASYNC:`` inside a kept ``else`` body is
eliminated in turn.

Only the statement whose test is the bare name ``_IS_ASYNC`` is rewritten; expressions
that read the constant (``x if _IS_ASYNC else y``, ``if not _IS_ASYNC:``) stay and see
``False`` in the twin.  Refused: ``elif _IS_ASYNC:`` and an ``else:`` with its body on
the same line.  A block left with no statement makes the twin fail to compile, which the
generator reports with the line.
"""

from __future__ import annotations

import ast
import tokenize
from collections import Counter
from dataclasses import dataclass, field

from unasync_rules.table import RULE_BRANCHES
from unasync_rules.text import UnasyncError, split_lines, string_rows, tokenize_lines

FLAG = "_IS_ASYNC"


@dataclass
class _LineEdits:
    """What happens to each line: emptied, dedented by some characters, ``elif`` -> ``if``."""

    blank: set[int] = field(default_factory=set)
    dedent: Counter[int] = field(default_factory=Counter)
    elif_to_if: set[int] = field(default_factory=set)


def eliminate_branches(code: str, used: set[str]) -> str:
    """``code`` without its ``if _IS_ASYNC:`` branches (same number of lines)."""
    if FLAG not in code:
        return code
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise UnasyncError(f"does not parse: line {exc.lineno}: {exc.msg}") from None
    lines = split_lines(code)
    tokens = tokenize_lines(lines)
    edits = _LineEdits()
    for statement in tree.body:
        _visit(statement, lines, tokens, edits, used)
    if not (edits.blank or edits.elif_to_if):
        return code
    inside_strings = string_rows(tokens)
    out: list[str] = []
    for number, line in enumerate(lines, start=1):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        if number in edits.blank:
            out.append(ending)
            continue
        if number not in inside_strings:  # a string's own lines are its value: never touched
            indent = len(body) - len(body.lstrip(" \t"))
            body = body[min(edits.dedent[number], indent) :]
            if number in edits.elif_to_if:
                body = body.replace("elif", "if", 1)
        out.append(body + ending)
    return "".join(out)


def _is_flag_branch(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == FLAG


def _starts_with_elif(node: ast.stmt, lines: list[str]) -> bool:
    # An elif is an If in its parent's orelse, positioned at the ``elif`` keyword.
    return lines[node.lineno - 1][node.col_offset :].startswith("elif")


def _visit(
    node: ast.AST,
    lines: list[str],
    tokens: list[tokenize.TokenInfo],
    edits: _LineEdits,
    used: set[str],
) -> None:
    if isinstance(node, ast.If) and _is_flag_branch(node):
        if _starts_with_elif(node, lines):
            raise UnasyncError(
                f"line {node.lineno}: `elif {FLAG}:` is not supported; nest an `if {FLAG}:`"
            )
        used.add(RULE_BRANCHES)
        _eliminate(node, lines, tokens, edits, used)
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            _visit(child, lines, tokens, edits, used)
        elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
            for statement in child.body:
                _visit(statement, lines, tokens, edits, used)


def _eliminate(
    node: ast.If,
    lines: list[str],
    tokens: list[tokenize.TokenInfo],
    edits: _LineEdits,
    used: set[str],
) -> None:
    end = node.end_lineno or node.lineno
    if not node.orelse:
        edits.blank.update(range(node.lineno, end + 1))
        return
    first = node.orelse[0]
    if isinstance(first, ast.If) and _starts_with_elif(first, lines):
        edits.blank.update(range(node.lineno, first.lineno))
        edits.elif_to_if.add(first.lineno)
        _visit(first, lines, tokens, edits, used)
        return
    else_row = _else_row(node, first, tokens)
    if else_row == first.lineno:
        raise UnasyncError(
            f"line {else_row}: put the body of the `else:` of `if {FLAG}:` on its own lines"
        )
    edits.blank.update(range(node.lineno, else_row + 1))
    for row in range(else_row + 1, end + 1):
        edits.dedent[row] += first.col_offset - node.col_offset
    for statement in node.orelse:
        _visit(statement, lines, tokens, edits, used)


def _else_row(node: ast.If, first: ast.stmt, tokens: list[tokenize.TokenInfo]) -> int:
    """The row of the ``else`` keyword of ``node``: at its column, before its else body."""
    body_end = node.body[-1].end_lineno or node.lineno
    for tok in tokens:
        row, column = tok.start
        if (
            tok.type == tokenize.NAME
            and tok.string == "else"
            and column == node.col_offset
            and body_end <= row <= first.lineno
        ):
            return row
    raise UnasyncError(f"line {node.lineno}: the `else` of `if {FLAG}:` was not found")
