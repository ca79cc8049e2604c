"""peewee models of the benchmark tables, built for a given base class (``peewee.Model``
for the sync API, ``playhouse.pwasyncio.AsyncModel`` for the async one) and database."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import dataset
import peewee as pw


def make_models(base: type[Any], database: Any) -> SimpleNamespace:
    meta = {"database": database}

    def model(name: str, table: str, fields: dict[str, Any]) -> Any:
        ns = dict(fields, Meta=type("Meta", (), dict(meta, table_name=table)),
                  __module__=__name__)  # fmt: skip
        return type(name, (base,), ns)

    user = model("User", "bench_users", {
        "id": pw.IntegerField(primary_key=True), "name": pw.CharField(),
        "email": pw.CharField(), "age": pw.IntegerField(), "score": pw.FloatField(),
        "active": pw.BooleanField(), "created_at": pw.DateTimeField(),
    })  # fmt: skip
    post = model("Post", "bench_posts", {
        "id": pw.IntegerField(primary_key=True),
        "user": pw.ForeignKeyField(user, backref="posts", column_name="user_id"),
        "title": pw.CharField(), "body": pw.CharField(), "likes": pw.IntegerField(),
    })  # fmt: skip
    wide_fields: dict[str, Any] = {"id": pw.IntegerField(primary_key=True)}
    wide_fields.update({c: pw.IntegerField() for c in dataset.WIDE_INTS})
    wide_fields.update({c: pw.FloatField() for c in dataset.WIDE_FLOATS})
    wide_fields.update({c: pw.CharField() for c in dataset.WIDE_TEXTS})
    item = model("Item", "bench_items", {
        "name": pw.CharField(), "email": pw.CharField(), "age": pw.IntegerField(),
        "score": pw.FloatField(), "active": pw.BooleanField(),
    })  # fmt: skip
    account = model("Account", "bench_accounts", {
        "id": pw.IntegerField(primary_key=True), "owner": pw.CharField(),
        "balance": pw.BigIntegerField(),
    })  # fmt: skip
    transfer = model("Transfer", "bench_transfers", {
        "src": pw.IntegerField(), "dst": pw.IntegerField(), "amount": pw.BigIntegerField(),
    })  # fmt: skip
    return SimpleNamespace(User=user, Post=post, Wide=model("Wide", "bench_wide", wide_fields),
                           Item=item, Account=account, Transfer=transfer)  # fmt: skip
