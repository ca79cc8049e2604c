"""SQL feature, pure: everything that reads or writes SQL text, with no I/O.

Reading a caller's SQL: ``lexer`` (the shared tokenizer), ``placeholders`` (``?`` / ``:name``
translated to the driver's style, parameters bound), ``script`` (statement splitting),
``readonly`` (can a statement write?), ``insert`` and ``insert_plan`` (the multi-row INSERT
planner shared by the batcher and the ORM), ``sizes`` (what bound values weigh).  Knowing
the backends: ``dialects``, ``errorcodes``.  The SQL builder under the ORM: expressions,
SELECT state, compiler — exported here.

Build a ``Select`` (frozen; ``replace`` returns a changed copy) from a ``TableInfo`` and
expressions (``Col``, ``Value``, ``Func`` …, combined with Python operators), then compile
it for a dialect: ``compile_select(select, dialect) -> (sql, params)``.  The text uses ``?``
placeholders (the connection layer translates them for the driver) and the parameters
come in placeholder order.  INSERT / UPDATE / DELETE are in ``dml``.

Rules kept everywhere: values are bound parameters, never SQL text; identifiers are
checked against the table's fields (or as identifiers) and quoted by the dialect; function
names, frame clauses, join kinds, compound operators and lock options are allow-listed;
LIMIT / OFFSET are validated ints.  Nothing here does I/O.

The names below are imported on first use (``_LAZY`` says from where; type checkers read
the imports under ``TYPE_CHECKING``): the batcher reads SQL with the modules of this package
and does not pay for importing the builder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twinsql._lazy import lazy_names

if TYPE_CHECKING:
    from twinsql.sql.compiler import (
        compile_aggregate,
        compile_count,
        compile_exists,
        compile_select,
    )
    from twinsql.sql.dml import (
        OnConflict,
        compile_delete,
        compile_insert,
        compile_update,
    )
    from twinsql.sql.expr import (
        Col,
        Condition,
        Expr,
        Raw,
        Star,
        Value,
        escape_like,
        raw,
    )
    from twinsql.sql.functions import (
        Avg,
        Count,
        DenseRank,
        Func,
        Max,
        Min,
        Rank,
        RowNumber,
        Sum,
        Window,
    )
    from twinsql.sql.nodes import (
        Aliased,
        OrderItem,
        Subquery,
        exists,
    )
    from twinsql.sql.select import (
        CTE,
        Compound,
        ForUpdate,
        Join,
        Select,
        SelectLike,
        order_item,
    )
    from twinsql.sql.table import (
        FrozenColumns,
        TableInfo,
    )

__all__ = [
    "CTE",
    "Aliased",
    "Avg",
    "Col",
    "Compound",
    "Condition",
    "Count",
    "DenseRank",
    "Expr",
    "ForUpdate",
    "FrozenColumns",
    "Func",
    "Join",
    "Max",
    "Min",
    "OnConflict",
    "OrderItem",
    "Rank",
    "Raw",
    "RowNumber",
    "Select",
    "SelectLike",
    "Star",
    "Subquery",
    "Sum",
    "TableInfo",
    "Value",
    "Window",
    "compile_aggregate",
    "compile_count",
    "compile_delete",
    "compile_exists",
    "compile_insert",
    "compile_select",
    "compile_update",
    "escape_like",
    "exists",
    "order_item",
    "raw",
]

_LAZY: dict[str, str] = {
    "Aliased": "twinsql.sql.nodes",
    "Avg": "twinsql.sql.functions",
    "CTE": "twinsql.sql.select",
    "Col": "twinsql.sql.expr",
    "Compound": "twinsql.sql.select",
    "Condition": "twinsql.sql.expr",
    "Count": "twinsql.sql.functions",
    "DenseRank": "twinsql.sql.functions",
    "Expr": "twinsql.sql.expr",
    "ForUpdate": "twinsql.sql.select",
    "FrozenColumns": "twinsql.sql.table",
    "Func": "twinsql.sql.functions",
    "Join": "twinsql.sql.select",
    "Max": "twinsql.sql.functions",
    "Min": "twinsql.sql.functions",
    "OnConflict": "twinsql.sql.dml",
    "OrderItem": "twinsql.sql.nodes",
    "Rank": "twinsql.sql.functions",
    "Raw": "twinsql.sql.expr",
    "RowNumber": "twinsql.sql.functions",
    "Select": "twinsql.sql.select",
    "SelectLike": "twinsql.sql.select",
    "Star": "twinsql.sql.expr",
    "Subquery": "twinsql.sql.nodes",
    "Sum": "twinsql.sql.functions",
    "TableInfo": "twinsql.sql.table",
    "Value": "twinsql.sql.expr",
    "Window": "twinsql.sql.functions",
    "compile_aggregate": "twinsql.sql.compiler",
    "compile_count": "twinsql.sql.compiler",
    "compile_delete": "twinsql.sql.dml",
    "compile_exists": "twinsql.sql.compiler",
    "compile_insert": "twinsql.sql.dml",
    "compile_select": "twinsql.sql.compiler",
    "compile_update": "twinsql.sql.dml",
    "escape_like": "twinsql.sql.expr",
    "exists": "twinsql.sql.nodes",
    "order_item": "twinsql.sql.select",
    "raw": "twinsql.sql.expr",
}

if not TYPE_CHECKING:  # for type checkers, an unknown name stays an error
    __getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
