"""Data-migration callables of the migration tests (hand-written, imported by migration
files the tests write): each fills ``mg_items.slug`` from ``code`` through the historical
model, one per mode, and the reverse clears it."""

from __future__ import annotations

from typing import Any


def fill_slugs(db: Any, models: dict[str, Any]) -> None:
    item = models["mg_items"]
    for record in item.query().order_by("id").all():
        record.slug = f"{record.code}-{record.id}"
        record.save()


async def fill_slugs_async(db: Any, models: dict[str, Any]) -> None:
    item = models["mg_items"]
    for record in await item.query().order_by("id").async_all():
        record.slug = f"{record.code}-{record.id}"
        await record.async_save()


def clear_slugs(db: Any, models: dict[str, Any]) -> None:
    db.execute_non_query("UPDATE mg_items SET slug = NULL")


async def clear_slugs_async(db: Any, models: dict[str, Any]) -> None:
    await db.execute_non_query("UPDATE mg_items SET slug = NULL")
