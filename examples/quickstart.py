"""twinsql quickstart: the same database through the sync and the async API.

Run with ``make demo`` (SQLite file ``twinsql-demo.db``), or point it at a server:
``DATABASE_URL=postgresql://postgres@127.0.0.1/test python examples/quickstart.py``.
"""

from __future__ import annotations

import asyncio
import decimal
import os
import tempfile
import time
from typing import ClassVar

import twinsql
from twinsql import BelongsTo, Count, Field, HasMany, Model
from twinsql.migrations import make_migration

URL = os.environ.get("DATABASE_URL", "sqlite:///twinsql-demo.db")

CREATE = {
    "sqlite": "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
    "email TEXT NOT NULL UNIQUE, age INTEGER NOT NULL)",
    "postgresql": "CREATE TABLE users (id SERIAL PRIMARY KEY, name TEXT NOT NULL, "
    "email TEXT NOT NULL UNIQUE, age INTEGER NOT NULL)",
    "mysql": "CREATE TABLE users (id INTEGER PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100) "
    "NOT NULL, email VARCHAR(200) NOT NULL UNIQUE, age INTEGER NOT NULL)",
}


def sync_part() -> None:
    print(f"== sync API on {twinsql.parse_url(URL).redacted()}")
    with twinsql.connect(URL) as db:
        db.execute_non_query("DROP TABLE IF EXISTS users")
        db.execute_non_query(CREATE[db.dialect.name])
        people = [(f"user{i}", f"user{i}@example.com", 18 + i % 50) for i in range(200)]
        with db.transaction():
            added = db.execute_many(
                "INSERT INTO users (name, email, age) VALUES (?, ?, ?)", people
            )
        print(f"inserted {added} users in one transaction")
        adults = db.execute_scalar("SELECT COUNT(*) FROM users WHERE age >= :min", {"min": 30})
        print(f"{adults} users are 30 or older")
        row = db.fetch_one(
            "SELECT id, name, email FROM users WHERE email = ?", ("user7@example.com",)
        )
        print(f"fetched one row as a dict: {row}")
        try:
            db.execute_non_query(
                "INSERT INTO users (name, email, age) VALUES (?, ?, ?)",
                ("dup", "user7@example.com", 40),
            )
        except twinsql.UniqueViolation as exc:
            print(f"a duplicate email raises {type(exc).__name__} (the same on every backend)")
        hostile = "Robert'); DROP TABLE users; --"
        user_id = row["id"] if row else 1
        db.execute_non_query("UPDATE users SET name = ? WHERE id = ?", (hostile, user_id))
        stored = db.execute_scalar("SELECT name FROM users WHERE id = ?", (user_id,))
        print(f"a hostile name is stored verbatim: {stored!r}")


async def async_part() -> None:
    print("== async API, many queries at once with asyncio.gather")
    async with twinsql.connect_async(URL, pool_size=5) as db:
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(
                db.execute_scalar("SELECT COUNT(*) FROM users WHERE age = ?", (age,))
                for age in range(18, 68)
            )
        )
        elapsed = (time.perf_counter() - started) * 1000
        print(f"ran {len(counts)} queries concurrently in {elapsed:.1f} ms: {sum(counts)} users")
        async with db.transaction() as conn:
            await conn.execute_non_query("UPDATE users SET age = age + 1 WHERE age < ?", (20,))
            youngest = await conn.execute_scalar("SELECT MIN(age) FROM users")
        print(f"after a transaction the youngest user is {youngest}")
        stats = db.pool_stats()
        print(f"pool: {stats.opened} opened, {stats.idle} idle, {stats.checked_out} in use")


class DemoModel(Model):
    """The demo's models share one binding: bind the base once per mode."""

    __abstract__: ClassVar[bool] = True


class Customer(DemoModel):
    __table_name__ = "demo_customers"
    id: int | None = None
    name: str = Field(max_length=100)
    city: str = Field(max_length=50, index=True)

    orders: ClassVar[HasMany[Purchase]] = HasMany(foreign_key="customer_id")


class Purchase(DemoModel):
    __table_name__ = "demo_purchases"
    id: int | None = None
    customer_id: int = Field(index=True)
    total: decimal.Decimal = Field(max_digits=10, decimal_places=2)

    customer: ClassVar[BelongsTo[Customer]] = BelongsTo()


def orm_sync_part(db: twinsql.Database) -> None:
    print("== ORM, sync: one model definition")
    twinsql.drop_all(db, [Customer, Purchase])
    twinsql.create_all(db, [Customer, Purchase])
    DemoModel.bind(db)
    Customer.insert_many(
        [{"name": f"customer{i}", "city": ("Oslo", "Lima", "Pune")[i % 3]} for i in range(30)]
    )
    for customer in Customer.query().where(Customer.c.city == "Lima").all():
        assert customer.id is not None
        Purchase.create(customer_id=customer.id, total=decimal.Decimal("19.90"))
    ada = Customer.find_one(name="customer0")
    print(f"found {ada!r}")
    stats = Customer.query().group_by("city").order_by("city").aggregate(n=Count("id"))
    print(f"customers per city: {stats}")


async def orm_async_part(db: twinsql.AsyncDatabase) -> None:
    print("== ORM, async: the same model, async_ methods")
    DemoModel.bind(db)
    buyers = await Customer.query().with_("orders").where(city="Lima").order_by("id").async_all()
    spent = sum(o.total for c in buyers for o in c.orders)
    print(f"{len(buyers)} customers in Lima with their orders loaded in 2 queries: {spent}")
    first = await Customer.async_find_or_fail(buyers[0].id)
    first.name = "renamed in async code"
    await first.async_save()
    print(f"saved only the changed field: {await Customer.async_find(first.id)!r}")


class Note(Model):
    """A model whose table the demo creates through a migration instead of create_all."""

    __table_name__ = "demo_notes"
    id: int | None = None
    text: str = Field(max_length=200)
    pinned: bool = False


def migrations_part(db: twinsql.Database) -> None:
    print("== migrations: a file generated from the models, applied once")
    db.execute_non_query("DROP TABLE IF EXISTS demo_notes")
    db.execute_non_query("DROP TABLE IF EXISTS demo_migrations")
    with tempfile.TemporaryDirectory() as directory:
        path = make_migration(directory, [Note])
        assert path is not None
        again = make_migration(directory, [Note]) or "no changes"
        print(f"make wrote {path.name}; make again: {again}")
        migrator = twinsql.Migrator(db, directory, table="demo_migrations")
        print(f"applied {migrator.apply()}, then again: {migrator.apply()}")
        print(f"status: {[s.describe() for s in migrator.status()]}")
    Note.bind(db)
    Note.create(text="migrated")
    print(f"the new table holds {Note.query().all()}")


async def orm_async_main() -> None:
    async with twinsql.connect_async(URL) as db:
        await orm_async_part(db)


if __name__ == "__main__":
    sync_part()
    asyncio.run(async_part())
    with twinsql.connect(URL) as database:
        orm_sync_part(database)
    asyncio.run(orm_async_main())
    with twinsql.connect(URL) as database:
        migrations_part(database)
