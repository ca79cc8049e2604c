"""SQL feature, pure: the expression tree of the SQL builder.

Every node is immutable.  Python operators on an ``Expr`` build new nodes instead of
comparing: ``col == 5`` is a ``Condition`` (``"col" = ?`` with 5 bound), ``col == None`` is
``IS NULL``, ``a & b`` / ``a | b`` / ``~a`` are AND / OR / NOT.  Nodes render themselves
through the compiler's context (``_render``); each has a precedence (``_prec``) and a parent
puts a child in parentheses when the child binds more loosely than the parent needs.

Values are never formatted into SQL: a Python value becomes a ``Value`` node, which renders
``?`` and appends the value to the parameter list.  Column names are checked against the
table's fields and quoted by the compiler.  LIKE helpers (``contains``/``startswith``/
``endswith``) escape ``%``, ``_`` and the escape character itself with ``ESCAPE '!'`` on
every dialect (a backslash escape would mean different things on MySQL).

``__eq__`` builds SQL, so ``__hash__`` is identity and the truth value of a condition is
refused (``a and b`` would silently drop ``a``); only a condition built by ``==``/``!=``
has one, the identity comparison of its operands, so that ``expr in list`` and dataclass
equality keep working.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal

from typing_extensions import TypeVar

from twinsql.errors import ArgumentError, InvalidIdentifierError
from twinsql.sql.fragment import Form, normalise
from twinsql.sql.table import TableInfo, shown, unknown_field

if TYPE_CHECKING:
    from twinsql.sql.context import Context
    from twinsql.sql.nodes import Aliased, OrderItem
    from twinsql.sql.select import Compound, Select

__all__ = ["NO_TRUTH", "Col", "Condition", "Expr", "Raw", "Star", "Value", "coerce", "condition",
           "escape_like", "label_name", "raw", "render_operand", "to_select"]  # fmt: skip

# Precedence, loosest first.  RAW (a caller's fragment) is parenthesised wherever nested.
# The Python type of a column's values, for type checkers only (``Col[int]``); a bare
# ``Col`` is ``Col[Any]``.
T = TypeVar("T", default=Any)
P_RAW, P_OR, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_ATOM = 0, 1, 2, 3, 4, 5, 6, 9
_set = object.__setattr__
NO_TRUTH = (
    "a SQL condition has no truth value: combine conditions with & | ~ instead of and / or / not"
)


class Expr:
    """A SQL expression.  Operators build new nodes; nothing here touches a database."""

    __slots__ = ()
    _prec: ClassVar[int] = P_ATOM

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        slots = [s for cls in type(self).__mro__ for s in getattr(cls, "__slots__", ())]
        shown_slots = (f"{s}={getattr(self, s)!r}" for s in slots if not s.startswith("_"))
        return f"{type(self).__name__}({', '.join(shown_slots)})"

    # Immutable, so a copy is the object itself; pickling restores the slots directly.
    def __copy__(self) -> Expr:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Expr:
        return self

    def __getstate__(self) -> dict[str, object]:
        slots = (s for cls in type(self).__mro__ for s in getattr(cls, "__slots__", ()))
        return {s: getattr(self, s) for s in slots}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            _set(self, name, value)

    def _render(self, ctx: Context) -> str:
        raise NotImplementedError


    # --- comparisons --------------------------------------------------------------------

    def __eq__(self, other: object) -> Condition:  # type: ignore[override]
        if other is None:
            return _n.Null(self, negated=False, origin=(self, other, False))
        return _n.Compare(self, "=", coerce(other), origin=(self, other, False))

    def __ne__(self, other: object) -> Condition:  # type: ignore[override]
        if other is None:
            return _n.Null(self, negated=True, origin=(self, other, True))
        return _n.Compare(self, "<>", coerce(other), origin=(self, other, True))

    __hash__ = object.__hash__

    def __lt__(self, other: object) -> Condition:
        return _n.Compare(self, "<", _ordered(other, "<"))

    def __le__(self, other: object) -> Condition:
        return _n.Compare(self, "<=", _ordered(other, "<="))

    def __gt__(self, other: object) -> Condition:
        return _n.Compare(self, ">", _ordered(other, ">"))

    def __ge__(self, other: object) -> Condition:
        return _n.Compare(self, ">=", _ordered(other, ">="))

    def in_(self, values: Iterable[Any] | Any) -> Condition:
        """``IN (?, …)`` for a collection of values, ``IN (SELECT …)`` for a query; an empty
        collection gives a condition that is always false (``1 = 0``)."""
        return _n.InList(self, values, negated=False)

    def not_in(self, values: Iterable[Any] | Any) -> Condition:
        """``NOT IN``; an empty collection gives a condition that is always true.  As in SQL,
        a NULL among the values (or in the subquery) makes the result unknown."""
        return _n.InList(self, values, negated=True)

    def between(self, low: object, high: object) -> Condition:
        return _n.Between(self, coerce(low), coerce(high))

    def is_null(self) -> Condition:
        return _n.Null(self, negated=False)

    def is_not_null(self) -> Condition:
        return _n.Null(self, negated=True)

    def like(self, pattern: str | Expr) -> Condition:
        """``LIKE`` with the pattern as given: ``%`` and ``_`` are the caller's wildcards."""
        return _n.Like(self, _pattern(pattern), negated=False, escaped=False)

    def not_like(self, pattern: str | Expr) -> Condition:
        return _n.Like(self, _pattern(pattern), negated=True, escaped=False)

    def contains(self, text: str) -> Condition:
        """Matches when ``text`` occurs anywhere, literally (its ``%``/``_`` are escaped).
        Case sensitivity is the backend's: SQLite's LIKE ignores ASCII case, PostgreSQL's
        does not, MySQL's follows the column's collation."""
        return _n.Like(self, Value(f"%{escape_like(text)}%"), negated=False, escaped=True)

    def startswith(self, text: str) -> Condition:
        return _n.Like(self, Value(f"{escape_like(text)}%"), negated=False, escaped=True)

    def endswith(self, text: str) -> Condition:
        return _n.Like(self, Value(f"%{escape_like(text)}"), negated=False, escaped=True)

    # --- ordering and naming ------------------------------------------------------------

    def asc(self, *, nulls: Literal["first", "last"] | None = None) -> OrderItem:
        return _n.OrderItem(self, descending=False, nulls=nulls)

    def desc(self, *, nulls: Literal["first", "last"] | None = None) -> OrderItem:
        return _n.OrderItem(self, descending=True, nulls=nulls)

    def label(self, alias: str) -> Aliased:
        """This expression under a name in a select list (``expr AS "alias"``)."""
        return _n.Aliased(self, alias)

    # --- arithmetic (``balance = balance - ?``) ----------------------------------------

    def __add__(self, other: object) -> Expr:
        return _n.Arith(self, "+", coerce(other))

    def __radd__(self, other: object) -> Expr:
        return _n.Arith(coerce(other), "+", self)

    def __sub__(self, other: object) -> Expr:
        return _n.Arith(self, "-", coerce(other))

    def __rsub__(self, other: object) -> Expr:
        return _n.Arith(coerce(other), "-", self)

    def __mul__(self, other: object) -> Expr:
        return _n.Arith(self, "*", coerce(other))

    def __rmul__(self, other: object) -> Expr:
        return _n.Arith(coerce(other), "*", self)

    def __truediv__(self, other: object) -> Expr:
        return _n.Arith(self, "/", coerce(other))

    def __rtruediv__(self, other: object) -> Expr:
        return _n.Arith(coerce(other), "/", self)


def render_operand(expr: Expr, ctx: Context, prec: int) -> str:
    """``expr`` rendered as the operand of a parent that needs precedence ``prec``: in
    parentheses when it binds more loosely (the compiler's context renders every child so)."""
    text = expr._render(ctx)
    return text if expr._prec >= prec else "(" + text + ")"


def escape_like(text: str) -> str:
    """``text`` as a LIKE pattern that matches itself literally (escape character ``!``)."""
    if not isinstance(text, str):
        raise ArgumentError(f"a LIKE search text must be a str, not {type(text).__name__}")
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def coerce(value: object) -> Expr:
    """An operand as an expression: an ``Expr`` as is, a query (anything whose type has
    ``__twinsql_select__``) as a subquery, any other value as a bound parameter."""
    if type(value) in _SCALARS:  # the common case first: no attribute probing
        return Value(value)
    if isinstance(value, Expr):
        return value
    if getattr(type(value), "__twinsql_select__", None) is not None:
        return _n.Subquery(value)
    return Value(value)


_SCALARS = frozenset({int, str, float, bool, bytes, type(None)})


def _ordered(value: object, op: str) -> Expr:
    if value is None:
        raise ArgumentError(
            f"cannot compare with None using {op} (the result is always unknown); "
            "use is_null() / is_not_null(), or == None / != None"
        )
    return coerce(value)


def _pattern(pattern: str | Expr) -> Expr:
    if isinstance(pattern, Expr):
        return pattern
    if not isinstance(pattern, str):
        raise ArgumentError(f"a LIKE pattern must be a str, not {type(pattern).__name__}")
    return Value(pattern)


def to_select(query: object) -> Select | Compound:
    """The ``Select``/``Compound`` behind a query object (``SelectLike``), checked."""
    from twinsql.sql.select import Compound, Select  # late: select imports this module

    if isinstance(query, (Select, Compound)):
        return query
    hook = getattr(type(query), "__twinsql_select__", None)
    result = hook(query) if hook is not None else None
    if not isinstance(result, (Select, Compound)):
        raise ArgumentError(
            f"expected a query (Select, Compound or an object with __twinsql_select__), "
            f"got {type(query).__name__}"
        )
    return result


# --- leaves --------------------------------------------------------------------------------


def enum_value(value: Any) -> Any:
    """What is bound for ``value``: an enum member is stored, and so compared, as its value
    (no driver binds the member itself the same way on every backend)."""
    return value.value if isinstance(value, enum.Enum) else value


class Value(Expr):
    """A bound parameter: renders ``?`` and appends the value to the parameters."""

    __slots__ = ("value",)
    value: Any

    def __init__(self, value: Any) -> None:
        if type(value) not in _SCALARS and isinstance(value, Expr):
            raise ArgumentError("Value() wraps a Python value, not an expression")
        _set(self, "value", enum_value(value))

    def _render(self, ctx: Context) -> str:
        ctx.params.append(self.value)
        return "?"


class Star(Expr):
    """``*``, or ``"t".*`` for one table of a join."""

    __slots__ = ("table", "table_alias")
    table: TableInfo | None
    table_alias: str | None

    def __init__(self, table: TableInfo | None = None, table_alias: str | None = None) -> None:
        _set(self, "table", _check_table(table))
        _set(self, "table_alias", _check_alias_ref(table_alias))

    def _render(self, ctx: Context) -> str:
        if self.table is None and self.table_alias is None:
            return "*"
        return ctx.qualifier(self.table, self.table_alias) + "*"


class Col(Expr, Generic[T]):
    """A field of a table.  With ``table`` it is checked at once; without, it belongs to
    the query's main table and is checked when the query is compiled.  ``table_alias``
    names a joined table (or a CTE) by its alias.

    ``Col[int]`` says which Python values the column holds, for type checkers: an ordering
    comparison with a value of another type (``Col[int] > "x"``) is then a type error.
    ``==``/``!=`` keep taking any object, as ``object.__eq__`` does."""

    __slots__ = ("field", "table", "table_alias")
    field: str
    table: TableInfo | None
    table_alias: str | None

    def __init__(
        self, field: str, table: TableInfo | None = None, table_alias: str | None = None
    ) -> None:
        if not isinstance(field, str) or not field:
            raise InvalidIdentifierError(
                f"a field name must be a non-empty str, not {shown(field)}"
            )
        if table is not None and field not in _checked(table).columns:
            raise unknown_field(table.name, field, table.fields)
        _set(self, "field", field)
        _set(self, "table", table)
        _set(self, "table_alias", _check_alias_ref(table_alias))

    if TYPE_CHECKING:
        # Narrower than Expr's operands on purpose (the value type of the column), which
        # breaks substitutability only for type checkers; the runtime methods are Expr's.
        def __lt__(self, other: T | Expr) -> Condition: ...  # type: ignore[override]
        def __le__(self, other: T | Expr) -> Condition: ...  # type: ignore[override]
        def __gt__(self, other: T | Expr) -> Condition: ...  # type: ignore[override]
        def __ge__(self, other: T | Expr) -> Condition: ...  # type: ignore[override]
        def between(self, low: T | Expr, high: T | Expr) -> Condition: ...  # type: ignore[override]

    def _render(self, ctx: Context) -> str:
        # Fast path: a column of the current main table (by default or by identity).
        scope = ctx.scope
        table = self.table
        if scope is not None and self.table_alias is None and (
            table is None or table is scope.table
        ):
            text = scope.cols.get(self.field)
            if text is not None:
                return text
        if table is None and self.table_alias is None:
            return ctx.main_column(self.field)
        return ctx.column(self, False)


def _check_table(table: TableInfo | None) -> TableInfo | None:
    if table is not None and not isinstance(table, TableInfo):
        raise ArgumentError(f"table must be a TableInfo, not {type(table).__name__}")
    return table


def _checked(table: TableInfo) -> TableInfo:
    if not isinstance(table, TableInfo):
        raise ArgumentError(f"table must be a TableInfo, not {type(table).__name__}")
    return table


def _check_alias_ref(alias: str | None) -> str | None:
    if alias is not None and (not isinstance(alias, str) or not alias):
        raise InvalidIdentifierError(f"a table alias must be a non-empty str, not {shown(alias)}")
    return alias


def label_name(alias: object) -> str:
    """Check an alias (a result column name): an identifier of letters, digits and ``_``.
    Quotes, spaces, ``#``, ``--`` and the like are refused outright rather than quoted:
    aliases often come from keyword-argument names, where such text means an attack."""
    if not isinstance(alias, str) or not alias.isidentifier():
        raise InvalidIdentifierError(
            f"invalid alias {shown(alias)}: an alias is a name of letters, digits and _ "
            "that does not start with a digit"
        )
    return alias


# --- conditions (the base class; the condition nodes are in nodes.py) ---------------------


class Condition(Expr):
    """A boolean expression: combine with ``&`` (AND), ``|`` (OR) and ``~`` (NOT)."""

    __slots__ = ()

    def __and__(self, other: object) -> Condition:
        return _n.And((self, condition(other, "&")))

    def __rand__(self, other: object) -> Condition:
        return _n.And((condition(other, "&"), self))

    def __or__(self, other: object) -> Condition:
        return _n.Or((self, condition(other, "|")))

    def __ror__(self, other: object) -> Condition:
        return _n.Or((condition(other, "|"), self))

    def __invert__(self) -> Condition:
        if isinstance(self, _n.Not):
            return self.inner  # ~~c is c
        return _n.Not(self)

    def __bool__(self) -> bool:
        raise TypeError(NO_TRUTH)


def condition(value: object, op: str) -> Condition:
    if not isinstance(value, Condition):
        raise TypeError(f"{op} combines conditions, not {type(value).__name__}")
    return value


class Raw(Condition):
    """A caller's SQL fragment with ``?`` or ``:name`` placeholders, inserted as is (their
    SQL, their responsibility, like SQLAlchemy's ``text()``); see ``fragment.py`` for how
    the placeholders are normalised to ``?`` at construction.  Parenthesised wherever it
    is nested in another expression.  Recognised by class, never by duck typing, so no
    user object (a dict from a JSON body, say) can pose as one."""

    __slots__ = ("_forms", "params", "sql")
    _forms: dict[str, Form | ArgumentError]
    params: Sequence[Any] | Mapping[str, Any] | None
    sql: str
    _prec = P_RAW

    def __init__(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> None:
        _set(self, "_forms", normalise(sql, params))
        _set(self, "sql", sql)
        _set(self, "params", params)

    def _render(self, ctx: Context) -> str:
        form = self._forms[ctx.name]
        if isinstance(form, ArgumentError):  # this dialect cannot read the fragment
            raise type(form)(form.message, sql=form.sql)
        ctx.params.extend(form[1])
        return form[0]


def raw(sql: str, *params: Any) -> Raw:
    """``raw("age > ?", 18)``; ``raw("x = ?", (1,))`` (a single tuple is the parameter
    tuple); ``raw("x = :n", {"n": 1})``.  A single list is one value (e.g. an array)."""
    if len(params) == 1 and isinstance(params[0], (tuple, Mapping)):
        return Raw(sql, params[0])
    return Raw(sql, params)


# Last: nodes.py subclasses Expr and Condition.  Imported as a module, so that this works
# whichever of the two modules is imported first; the operators above look their node
# classes up in it when called.
from twinsql.sql import nodes as _n  # noqa: E402
