"""ORM feature, pure: model source text for the tables of an existing database.

``render_models`` takes the ``CatalogTable`` values of ``orm.catalog_queries`` and writes one
module: a model class per table with a primary key, its fields (type, nullability, key,
``unique``/``index``, length and precision, server default, ``column=`` where the field name
differs from the column), its declared ``Columns`` namespace, and its relations — a
``BelongsTo`` per foreign key, the reverse ``HasMany`` (``HasOne`` when the key is unique) on
the referenced model, and a ``ManyToMany`` each way through a link table (a table made of two
foreign keys, plus at most an auto-incremented key of its own).

Names: a class is the table name in PascalCase, in the singular when the default table name
of that class is the table itself (``order_items`` → ``OrderItem``); a field is the column
name in snake case, or as it is with ``naming="as_is"``, made a valid identifier that hides
no model attribute. How the field and class names become the column and table names is said
once, on an abstract base with ``__naming__ = Naming(column=…, table=…)``: the preset named by
``naming`` (``"PascalCase"``, ``"camelCase"``, ``"snake_case"``), or with ``"auto"`` the
preset that names the most columns (and tables) of the schema, if any names more than the
default does. A column or table the rule does not name gets ``Field(column=…)`` or
``__table_name__``.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from twinsql.errors import ArgumentError
from twinsql.orm.catalog import CatalogColumn, CatalogForeignKey, CatalogTable
from twinsql.orm.naming import (
    Naming,
    Preset,
    column_name,
    default_table_name,
    plural,
    snake_case,
    table_name,
)
from twinsql.orm.naming_choices import NAMINGS, NamingChoice

__all__ = ["NAMINGS", "NamingChoice", "render_models"]

_PRESETS: dict[str, Preset] = {"PascalCase": "PascalCase", "camelCase": "camelCase",
                               "snake_case": "snake_case"}  # fmt: skip

_ANNOTATIONS = {
    "int": "int",
    "float": "float",
    "bool": "bool",
    "str": "str",
    "bytes": "bytes",
    "decimal": "Decimal",
    "date": "datetime.date",
    "datetime": "datetime.datetime",
    "datetime_tz": "AwareDatetime",
    "time": "datetime.time",
    "uuid": "uuid.UUID",
    "json": "dict[str, Any] | list[Any]",
}
_NOT_WORD = re.compile(r"[^0-9A-Za-z_]+")


@dataclass
class _Model:
    table: CatalogTable
    name: str
    singular: bool
    fields: dict[str, str] = field(default_factory=dict)  # column → field name
    relations: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def field_of(self, columns: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.fields[c] for c in columns)

    def free(self, wanted: str) -> str:
        """``wanted``, or with a number when a field or relation already has the name."""
        name, n = wanted, 2
        while name in self.names:
            name, n = f"{wanted}_{n}", n + 1
        self.names.add(name)
        return name


def _identifier(text: str, reserved: frozenset[str]) -> str:
    name = _NOT_WORD.sub("_", text).strip("_") or "field"
    if name[0].isdigit():
        name = f"f_{name}"
    if keyword.iskeyword(name) or name in reserved or name.startswith("model_"):
        name = f"{name}_"
    return name


def _pascal(text: str) -> str:
    parts = [p for p in _NOT_WORD.sub("_", text).split("_") if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Table"
    return f"T{name}" if name[0].isdigit() else name


def _singular_class(table: str) -> str | None:
    """A class whose default table name is ``table`` (``order_items`` → ``OrderItem``)."""
    head, _, last = table.rpartition("_")
    # The shortest singular first: "items" is its own plural too (an uncountable reading).
    candidates = [last[:-3] + "y"] if last.endswith("ies") else []
    candidates += [last[:-1]] if last.endswith("s") else []
    candidates += [last[:-2]] if last.endswith("es") else []
    candidates.append(last)
    for word in candidates:
        if word and plural(word) == last:
            name = _pascal(f"{head}_{word}" if head else word)
            if default_table_name(name) == table:
                return name
    return None


def _literal(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"Decimal('{value}')"
    return repr(value)


class _Writer:
    def __init__(self, naming: str, reserved: frozenset[str]) -> None:
        self.naming = naming
        self.rule: Naming | None = None
        self.base = "Model"
        self.reserved = reserved | {"c", "Columns"}
        self.imports: set[str] = {"Model", "Field", "Col", "ColumnSet"}
        self.modules: set[str] = set()

    def annotation(self, column: CatalogColumn, optional: bool) -> str:
        text = _ANNOTATIONS[column.kind]
        if column.kind == "decimal":
            self.modules.add("from decimal import Decimal")
        elif column.kind in ("date", "datetime", "time"):
            self.modules.add("import datetime")
        elif column.kind == "uuid":
            self.modules.add("import uuid")
        elif column.kind == "datetime_tz":
            self.modules.add("from pydantic import AwareDatetime")
        elif column.kind == "json":
            self.modules.add("from typing import Any")
        return f"{text} | None" if optional else text

    def field_line(self, model: _Model, column: CatalogColumn) -> tuple[str, str]:
        """The field declaration and the type its column holds (for ``Columns``)."""
        table = model.table
        name = model.fields[column.name]
        in_key = column.name in table.primary_key
        default = column.default
        args: list[str] = []
        comment = ""
        optional = column.nullable or column.auto_increment
        if default is not None and default.form == "expression":
            optional = True
        if column.auto_increment or optional:
            args.append("default=None")
        elif default is not None and default.form == "literal":
            args.append(f"default={_literal(default.value)}")
        if default is not None and default.form == "literal":
            args.append(f"server_default={_literal(default.value)}")
        elif default is not None and default.form == "expression":
            self.imports.add("sql_expression")
            args.append(f"server_default=sql_expression({default.value!r})")
        elif default is not None:
            comment = f"  # server default: {default.value}"
        if column.guessed:
            comment += f"  # {column.sql_type}: no Python type of its own, read as it comes"
        if in_key:
            args.append("primary_key=True")
        elif (column.name,) in table.unique:
            args.append("unique=True")
        elif (column.name,) in table.indexes:
            args.append("index=True")
        if column.max_length is not None:
            args.append(f"max_length={column.max_length}")
        if column.max_digits is not None:
            args.append(f"max_digits={column.max_digits}")
        if column.decimal_places is not None:
            args.append(f"decimal_places={column.decimal_places}")
        if column_name(self.rule, name) != column.name:
            args.append(f"column={column.name!r}")
        annotation = self.annotation(column, optional)
        if args == ["default=None"]:
            line = f"    {name}: {annotation} = None"
        elif args:
            line = f"    {name}: {annotation} = Field({', '.join(args)})"
            if len(line) > 100:
                inner = "".join(f"        {arg},\n" for arg in args)
                line = f"    {name}: {annotation} = Field(\n{inner}    )"
        else:
            line = f"    {name}: {annotation}"
        return line + comment, annotation


def _is_link(table: CatalogTable, mapped: dict[str, _Model]) -> bool:
    if len(table.foreign_keys) != 2 or any(fk.target not in mapped for fk in table.foreign_keys):
        return False
    linked = {c for fk in table.foreign_keys for c in fk.columns}
    rest = [c for c in table.columns if c.name not in linked]
    own_key = len(rest) == 1 and rest[0].auto_increment and table.primary_key == (rest[0].name,)
    return not rest or own_key


def _declaration(name: str, annotation: str, call: str, args: Sequence[str]) -> str:
    """``name: annotation = call(args)``, its arguments on a line of their own when long."""
    line = f"    {name}: {annotation} = {call}({', '.join(args)})"
    if len(line) <= 100:
        return line
    return f"    {name}: {annotation} = {call}(\n        {', '.join(args)}\n    )"


def _naming_rule(naming: str, models: list[_Model]) -> Naming | None:
    """The rule of the abstract base (None: the defaults name everything that can be)."""
    if naming in ("as_is", "snake_case"):  # the defaults: no rule to state
        return None
    if naming != "auto":
        return Naming(column=_PRESETS[naming], table=_PRESETS[naming])

    def columns_named(rule: Naming | None) -> int:
        return sum(column_name(rule, f) == c for m in models for c, f in m.fields.items())

    def tables_named(rule: Naming | None) -> int:
        return sum(table_name(rule, m.name) == m.table.name for m in models)

    best_column = max(_PRESETS.values(), key=lambda p: columns_named(Naming(column=p)))
    best_table = max(_PRESETS.values(), key=lambda p: tables_named(Naming(table=p)))
    rule = Naming(
        column=best_column
        if columns_named(Naming(column=best_column)) > columns_named(None)
        else None,
        table=best_table if tables_named(Naming(table=best_table)) > tables_named(None) else None,
    )
    return rule if rule.column or rule.table else None


def _keys(names: Sequence[str]) -> str:
    return repr(names[0]) if len(names) == 1 else repr(tuple(names))


def render_models(
    tables: Sequence[CatalogTable],
    *,
    naming: NamingChoice = "auto",
    only: Sequence[str] | None = None,
    reserved: frozenset[str] = frozenset(),
) -> str:
    """The model module for ``tables`` (``only``: the names of the tables to map; relations
    to other tables are left out). ``reserved``: the public attribute names of ``Model``."""
    if naming not in NAMINGS:
        raise ArgumentError(f"naming {naming!r}: use one of {', '.join(NAMINGS)}")
    known = {t.name for t in tables}
    missing = [name for name in only or () if name not in known]
    if missing:
        raise ArgumentError(
            f"no such table: {', '.join(missing)}; tables: {', '.join(sorted(known)) or 'none'}"
        )
    writer = _Writer(naming, reserved)
    skipped = [t.name for t in tables if not t.primary_key and (not only or t.name in only)]
    selected = [t for t in tables if t.primary_key and (not only or t.name in only)]
    mapped: dict[str, _Model] = {}
    class_names: set[str] = set()
    for table in selected:
        singular = _singular_class(table.name)
        name = singular or _pascal(table.name)
        base, n = name, 2
        while name in class_names:
            name, n = f"{base}{n}", n + 1
        class_names.add(name)
        model = _Model(table, name, singular=name == singular)
        for column in table.columns:
            wanted = column.name if naming == "as_is" else snake_case(column.name)
            model.fields[column.name] = model.free(_identifier(wanted, writer.reserved))
        mapped[table.name] = model
    writer.rule = _naming_rule(naming, list(mapped.values()))
    if writer.rule is not None:
        writer.imports.add("Naming")
        writer.base = "Base" if "Base" not in class_names else "ReflectedBase"
    _relations(mapped, writer)
    return _module(mapped, writer, skipped)


def _relations(mapped: dict[str, _Model], writer: _Writer) -> None:
    for model in mapped.values():
        table = model.table
        by_target: dict[str, int] = {}
        for fk in table.foreign_keys:
            by_target[fk.target] = by_target.get(fk.target, 0) + 1
        # In column order: the catalogs list foreign keys in orders of their own.
        position = {column.name: i for i, column in enumerate(table.columns)}
        for fk in sorted(table.foreign_keys, key=lambda fk: position[fk.columns[0]]):
            target = mapped.get(fk.target)
            if target is None:
                continue
            _belongs(model, target, fk, writer, several=by_target[fk.target] > 1)
        if _is_link(table, mapped):
            first, second = table.foreign_keys
            _many(model, mapped[first.target], first, mapped[second.target], second, writer)
            _many(model, mapped[second.target], second, mapped[first.target], first, writer)


def _belongs(
    model: _Model, target: _Model, fk: CatalogForeignKey, writer: _Writer, *, several: bool
) -> None:
    fields = model.field_of(fk.columns)
    if len(fields) == 1 and fields[0].endswith(("_id", "Id", "ID")) and len(fields[0]) > 3:
        wanted = fields[0][:-3] if fields[0].endswith("_id") else fields[0][:-2]
    elif len(fields) == 1:
        wanted = f"{fields[0]}_{snake_case(target.name)}"
    else:
        wanted = snake_case(target.name)
    name = model.free(_identifier(wanted, writer.reserved))
    args = [f"foreign_key={_keys(fields)}"]
    keys = target.field_of(fk.target_columns)
    if fk.target_columns != target.table.primary_key:
        args.append(f"key={_keys(keys)}")
    writer.imports.add("BelongsTo")
    model.relations.append(
        _declaration(name, f"ClassVar[BelongsTo[{target.name}]]", "BelongsTo", args)
    )
    # The reverse side, on the target.
    unique = set(fk.columns) == set(model.table.primary_key) or fk.columns in model.table.unique
    kind = "HasOne" if unique else "HasMany"
    reverse = snake_case(model.name) if unique else default_table_name(model.name)
    if several:
        reverse = f"{reverse}_by_{name}"
    reverse_name = target.free(_identifier(reverse, writer.reserved))
    args = [f"foreign_key={_keys(fields)}"]
    if fk.target_columns != target.table.primary_key:
        args.append(f"key={_keys(keys)}")
    writer.imports.add(kind)
    target.relations.append(
        _declaration(reverse_name, f"ClassVar[{kind}[{model.name}]]", kind, args)
    )


def _many(
    link: _Model,
    owner: _Model,
    owner_fk: CatalogForeignKey,
    target: _Model,
    target_fk: CatalogForeignKey,
    writer: _Writer,
) -> None:
    name = owner.free(_identifier(default_table_name(target.name), writer.reserved))
    writer.imports.add("ManyToMany")
    owner_key = _keys(link.field_of(owner_fk.columns))
    target_key = _keys(link.field_of(target_fk.columns))
    args = [f"through={link.name!r}", f"owner_key={owner_key}", f"target_key={target_key}"]
    owner.relations.append(
        _declaration(name, f"ClassVar[ManyToMany[{target.name}]]", "ManyToMany", args)
    )


def _class(model: _Model, writer: _Writer) -> list[str]:
    lines = [f"class {model.name}({writer.base}):"]
    if table_name(writer.rule, model.name) != model.table.name:
        lines.append(f"    __table_name__ = {model.table.name!r}")
        lines.append("")
    declared: list[str] = []
    for column in model.table.columns:
        line, annotation = writer.field_line(model, column)
        lines.append(line)
        declared.append(f"        {model.fields[column.name]}: Col[{annotation}]")
    for columns in (c for c in model.table.unique if len(c) > 1):
        lines.append(f"    # unique together: {', '.join(model.field_of(columns))}")
    for columns in (c for c in model.table.indexes if len(c) > 1):
        lines.append(f"    # index on: {', '.join(model.field_of(columns))}")
    if model.relations:
        lines.append("")
        lines.extend(model.relations)
    lines += ["", "    class Columns(ColumnSet):", *declared]
    return lines


def _module(mapped: dict[str, _Model], writer: _Writer, skipped: list[str]) -> str:
    body: list[str] = []
    if writer.rule is not None:
        rule = ", ".join(
            f"{side}={value!r}"
            for side, value in (("column", writer.rule.column), ("table", writer.rule.table))
            if value is not None
        )
        body += ["", "", f"class {writer.base}(Model):", "    __abstract__ = True",
                 f"    __naming__ = Naming({rule})"]  # fmt: skip
    for model in mapped.values():
        body += ["", "", *_class(model, writer)]
    if any(m.relations for m in mapped.values()):
        writer.modules.add("from typing import ClassVar")
    typing_names = sorted(
        {m.split(" import ")[1] for m in writer.modules if m.startswith("from typing import")}
    )
    stdlib = sorted(m for m in writer.modules if m.startswith("import "))
    if "from decimal import Decimal" in writer.modules:
        stdlib.append("from decimal import Decimal")
    if typing_names:
        stdlib.append(f"from typing import {', '.join(typing_names)}")
    third = [m for m in sorted(writer.modules) if m.startswith("from pydantic")]
    head = [
        '"""Models of an existing database, written by ``twinsql reflect``."""',
        "",
        "from __future__ import annotations",
        "",
        *stdlib,
    ]
    if third:
        head += ["", *third]
    head += ["", f"from twinsql import {', '.join(sorted(writer.imports))}"]
    if skipped:
        head += ["", f"# Not mapped (no primary key): {', '.join(skipped)}"]
    return "\n".join(head + body) + "\n"
