"""Reflection without a database: catalog rows → tables → model source."""

from __future__ import annotations

import sys
import types
from decimal import Decimal
from typing import Any

import pytest

import twinsql
from twinsql.orm.catalog import (
    CatalogColumn,
    CatalogForeignKey,
    CatalogTable,
    ServerDefault,
    mysql_kind,
    parse_default,
    postgresql_kind,
    sqlite_kind,
)
from twinsql.orm.catalog_queries import assemble, queries
from twinsql.orm.model_source import render_models

RESERVED = frozenset(n for n in dir(twinsql.Model) if not n.startswith("_"))


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (None, "int", None),
        ("NULL", "str", None),
        ("0", "int", ServerDefault("literal", 0)),
        ("(-1)", "int", ServerDefault("literal", -1)),
        ("9.99", "decimal", ServerDefault("literal", Decimal("9.99"))),
        ("1.5", "float", ServerDefault("literal", 1.5)),
        ("1", "bool", ServerDefault("literal", True)),
        ("true", "bool", ServerDefault("literal", True)),
        ("'it''s'", "str", ServerDefault("literal", "it's")),
        ("'none'::character varying", "str", ServerDefault("literal", "none")),
        ("'5'", "int", ServerDefault("literal", 5)),
        ("now()", "datetime", ServerDefault("expression", "now()")),
        ("CURRENT_TIMESTAMP", "datetime", ServerDefault("expression", "CURRENT_TIMESTAMP")),
        ("current_timestamp()", "datetime", ServerDefault("expression", "current_timestamp()")),
        ("'2020-01-01'::date", "date", ServerDefault("other", "'2020-01-01'")),
        ("nextval('x_seq'::regclass)", "int", ServerDefault("other", "nextval('x_seq'::regclass)")),
        ("(datetime('now'))", "datetime", ServerDefault("other", "datetime('now')")),
        ("1.5", "int", ServerDefault("other", "1.5")),
    ],
)
def test_parse_default(text: str | None, kind: str, expected: ServerDefault | None) -> None:
    assert parse_default(text, kind) == expected


def test_mysql_8_writes_string_defaults_bare() -> None:
    assert parse_default("none", "str", bare_strings=True) == ServerDefault("literal", "none")
    assert parse_default("none", "str") == ServerDefault("expression", "none")


@pytest.mark.parametrize(
    ("declared", "kind", "size"),
    [
        ("INTEGER", "int", {}),
        ("BIGINT", "int", {}),
        ("VARCHAR(40)", "str", {"max_length": 40}),
        ("TEXT", "str", {"max_length": None}),
        ("NUMERIC(10, 2)", "decimal", {"max_digits": 10, "decimal_places": 2}),
        ("BOOLEAN", "bool", {}),
        ("DATE", "date", {}),
        ("TIMESTAMP", "datetime", {}),
        ("DATETIME", "datetime", {}),
        ("TIME", "time", {}),
        ("REAL", "float", {}),
        ("BLOB", "bytes", {}),
        ("JSON", "json", {}),
        ("", "str", {}),
    ],
)
def test_sqlite_kinds(declared: str, kind: str, size: dict[str, Any]) -> None:
    assert sqlite_kind(declared) == (kind, size)


def test_postgresql_and_mysql_kinds() -> None:
    pg = {"data_type": "numeric", "numeric_precision": 12, "numeric_scale": 3}
    assert postgresql_kind(pg) == ("decimal", {"max_digits": 12, "decimal_places": 3})
    assert postgresql_kind({"data_type": "timestamp with time zone"}) == ("datetime_tz", {})
    assert postgresql_kind({"data_type": "jsonb"}) == ("json", {})
    assert postgresql_kind({"data_type": "tsvector"}) == ("str", {"max_length": None})
    row = {"column_name": "a", "data_type": "tinyint", "column_type": "tinyint(1)"}
    assert mysql_kind(row, frozenset()) == ("bool", {})
    row = {"column_name": "doc", "data_type": "longtext", "column_type": "longtext"}
    assert mysql_kind(row, frozenset({"doc"})) == ("json", {})
    assert mysql_kind(row, frozenset()) == ("str", {})


def test_mysql_catalog_rows() -> None:
    results = {
        "columns": [
            {"table_name": "t", "column_name": "id", "data_type": "int", "column_type": "int(11)",
             "is_nullable": "NO", "column_default": None, "extra": "auto_increment"},
            {"table_name": "t", "column_name": "p_id", "data_type": "int", "column_type": "int(11)",
             "is_nullable": "YES", "column_default": "NULL", "extra": ""},
            {"table_name": "t", "column_name": "doc", "data_type": "longtext",
             "column_type": "longtext", "is_nullable": "YES", "column_default": None, "extra": ""},
            {"table_name": "p", "column_name": "id", "data_type": "int", "column_type": "int(11)",
             "is_nullable": "NO", "column_default": None, "extra": "auto_increment"},
        ],
        "indexes": [
            {"table_name": "t", "index_name": "PRIMARY", "non_unique": 0, "column_name": "id"},
            {"table_name": "t", "index_name": "p_fk", "non_unique": 1, "column_name": "p_id"},
            {"table_name": "p", "index_name": "PRIMARY", "non_unique": 0, "column_name": "id"},
        ],
        "keys": [
            {"table_name": "t", "name": "p_fk", "column_name": "p_id", "target": "p",
             "target_column": "id"},
        ],
        "checks": [{"table_name": "t", "clause": "json_valid(`doc`)"}],
    }  # fmt: skip
    _, t = assemble("mysql", results, "10.11.6-MariaDB")
    assert (t.name, t.primary_key, t.indexes) == ("t", ("id",), ())  # the FK's own index
    assert [(c.name, c.kind, c.nullable, c.auto_increment, c.default) for c in t.columns] == [
        ("id", "int", False, True, None),
        ("p_id", "int", True, False, None),
        ("doc", "json", True, False, None),
    ]
    assert t.foreign_keys == (CatalogForeignKey(("p_id",), "p", ("id",)),)
    assert queries("mysql", "10.11.6-MariaDB").keys() == {"columns", "indexes", "keys", "checks"}
    assert queries("mysql", "8.0.36").keys() == {"columns", "indexes", "keys"}


def test_a_type_without_a_python_counterpart_is_read_as_it_comes() -> None:
    row = {"table_name": "t", "column_name": "tags", "data_type": "ARRAY",
           "is_nullable": "YES", "column_default": None, "is_identity": "NO"}  # fmt: skip
    key = {"table_name": "t", "name": "t_pkey", "kind": "p", "column_name": "id",
           "target": None, "target_column": None}  # fmt: skip
    id_row = {**row, "column_name": "id", "data_type": "integer", "is_nullable": "NO"}
    (table,) = assemble("postgresql", {"columns": [id_row, row], "indexes": [], "keys": [key]})
    assert [(c.kind, c.guessed) for c in table.columns] == [("int", False), ("str", True)]
    source = render_models([table])
    assert "    tags: str | None = None  # ARRAY: no Python type of its own, read as it comes" in (
        source
    )


def test_sqlite_rows_fill_the_referenced_key() -> None:
    results = {
        "columns": [
            {"table_name": "a", "column_name": "id", "declared": "INTEGER", "not_null": 0,
             "column_default": None, "pk": 1},
            {"table_name": "b", "column_name": "id", "declared": "TEXT", "not_null": 1,
             "column_default": None, "pk": 1},
            {"table_name": "b", "column_name": "a_id", "declared": "INTEGER", "not_null": 0,
             "column_default": None, "pk": 0},
        ],
        "indexes": [
            {"table_name": "b", "index_name": "sqlite_autoindex_b_1", "is_unique": 1,
             "origin": "pk", "column_name": "id"},
            {"table_name": "b", "index_name": "ix", "is_unique": 1, "origin": "c",
             "column_name": "a_id"},
        ],
        "keys": [
            {"table_name": "b", "name": 0, "target": "a", "column_name": "a_id",
             "target_column": None},
        ],
    }  # fmt: skip
    a, b = assemble("sqlite", results)
    assert a.columns[0].auto_increment and not b.columns[0].auto_increment
    assert b.unique == (("a_id",),)
    assert b.foreign_keys == (CatalogForeignKey(("a_id",), "a", ("id",)),)


def col(name: str, kind: str = "int", nullable: bool = False, **more: Any) -> CatalogColumn:
    return CatalogColumn(name, kind, nullable, **more)


SCHEMA = [
    CatalogTable(
        "Customer",
        (col("CustomerId", auto_increment=True), col("Email", "str", max_length=60),
         col("SupportRepId", nullable=True), col("BackupRepId", nullable=True)),
        ("CustomerId",), unique=(("Email",),),
        foreign_keys=(CatalogForeignKey(("SupportRepId",), "Employee", ("EmployeeId",)),
                      CatalogForeignKey(("BackupRepId",), "Employee", ("EmployeeId",))),
    ),
    CatalogTable(
        "Employee",
        (col("EmployeeId", auto_increment=True), col("class", "str"),
         col("save", "decimal", max_digits=8, decimal_places=2,
             default=ServerDefault("literal", Decimal("1.50")))),
        ("EmployeeId",),
    ),
    CatalogTable(
        "customer_profiles",
        (col("customer_id"), col("bio", "str", default=ServerDefault("other", "upper('x')"))),
        ("customer_id",),
        foreign_keys=(CatalogForeignKey(("customer_id",), "Customer", ("CustomerId",)),),
    ),
    CatalogTable("log", (col("line", "str"),)),
]  # fmt: skip


def load(source: str) -> types.ModuleType:
    module = types.ModuleType(f"reflected_core_{abs(hash(source))}")
    sys.modules[module.__name__] = module
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module


def test_rendered_models() -> None:
    source = render_models(SCHEMA, naming="snake_case", reserved=RESERVED)
    # Two keys to one table: each reverse relation is named after its key.
    expected = [
        "support_rep: ClassVar[BelongsTo[Employee]] = BelongsTo(foreign_key='support_rep_id')",
        "customers_by_support_rep: ClassVar[HasMany[Customer]] = "
        "HasMany(foreign_key='support_rep_id')",
        "customers_by_backup_rep: ClassVar[HasMany[Customer]] = "
        "HasMany(foreign_key='backup_rep_id')",
        # A key that is the whole primary key: one profile per customer.
        "customer_profile: ClassVar[HasOne[CustomerProfile]] = HasOne(foreign_key='customer_id')",
    ]
    for line in expected:
        assert f"\n    {line}\n" in source
    assert "    email: str = Field(unique=True, max_length=60, column='Email')" in source
    assert "    class_: str = Field(column='class')" in source
    assert "    bio: str = Field(primary_key=True" not in source
    assert "    bio: str  # server default: upper('x')" in source
    assert "# Not mapped (no primary key): log" in source
    assert "__table_name__ = 'Customer'" in source and "__table_name__ = 'customer" not in source
    models = load(source)
    assert models.CustomerProfile.__twinsql__.table.name == "customer_profiles"
    assert list(models.Employee.model_fields) == ["employee_id", "class_", "save_"]
    assert models.Employee(class_="x").save_ == Decimal("1.50")
    assert models.Employee.__twinsql__.table.column("save_") == "save"
    assert isinstance(models.Customer.c, models.Customer.Columns)


def test_auto_naming_states_the_rule_that_fits_best() -> None:
    source = render_models(SCHEMA, reserved=RESERVED)
    assert (
        "class Base(Model):\n    __abstract__ = True\n"
        "    __naming__ = Naming(column='PascalCase', table='PascalCase')\n"
    ) in source
    # Only what the rule does not name is spelled out.
    assert "    email: str = Field(unique=True, max_length=60)\n" in source
    assert "    class_: str = Field(column='class')\n" in source
    assert "class CustomerProfile(Base):\n    __table_name__ = 'customer_profiles'\n" in source
    assert "class Customer(Base):\n    customer_id" in source
    models = load(source)
    assert models.Customer.__twinsql__.table.name == "Customer"
    assert models.Customer.__twinsql__.table.column("support_rep_id") == "SupportRepId"
    assert models.CustomerProfile.__twinsql__.table.column("customer_id") == "customer_id"
    # A preset named outright; snake_case and as_is state no rule.
    camel = render_models(SCHEMA, naming="camelCase", reserved=RESERVED)
    assert "    __naming__ = Naming(column='camelCase', table='camelCase')" in camel
    assert "    email: str = Field(unique=True, max_length=60, column='Email')" in camel
    assert "Naming" not in render_models(SCHEMA, naming="as_is", reserved=RESERVED)
    snake_schema = [CatalogTable("order_items", (col("id", auto_increment=True),), ("id",))]
    assert "Naming" not in render_models(snake_schema, reserved=RESERVED)


def test_link_tables_become_many_to_many_both_ways() -> None:
    tables = [
        CatalogTable("tags", (col("id", auto_increment=True),), ("id",)),
        CatalogTable("posts", (col("id", auto_increment=True),), ("id",)),
        CatalogTable(
            "post_tags",
            (col("post_id"), col("tag_id")),
            ("post_id", "tag_id"),
            foreign_keys=(
                CatalogForeignKey(("post_id",), "posts", ("id",)),
                CatalogForeignKey(("tag_id",), "tags", ("id",)),
            ),
        ),
    ]
    source = render_models(tables, reserved=RESERVED)
    # The catalogs list foreign keys in orders of their own: the source does not follow them.
    link = tables[2]
    swapped = CatalogTable(link.name, link.columns, link.primary_key,
                           foreign_keys=link.foreign_keys[::-1])  # fmt: skip
    assert render_models([*tables[:2], swapped], reserved=RESERVED) == source
    assert (
        "    tags: ClassVar[ManyToMany[Tag]] = ManyToMany(\n"
        "        through='PostTag', owner_key='post_id', target_key='tag_id'\n    )"
    ) in source
    assert "    posts: ClassVar[ManyToMany[Post]] = ManyToMany(" in source
    models = load(source)
    assert models.Post.tags.spec().through is models.PostTag.__twinsql__
    assert models.PostTag.__twinsql__.primary_keys == ("post_id", "tag_id")
    # Left out of the chosen tables, a link is a plain table and its relations go.
    only = render_models(tables, only=["posts"], reserved=RESERVED)
    assert "ManyToMany" not in only and "class Tag" not in only


def test_bad_arguments() -> None:
    with pytest.raises(twinsql.ArgumentError, match="no such table: nope; tables: log"):
        render_models(SCHEMA[3:], only=["nope"])
    with pytest.raises(twinsql.ArgumentError, match="naming 'camel'"):
        render_models(SCHEMA, naming="camel")
