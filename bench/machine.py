"""The machine and the versions a run measured: CPU, OS, Python, libraries, git state."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

DISTS = ("twinsql", "psycopg", "psycopg-binary", "asyncpg", "PyMySQL", "asyncmy", "aiosqlite",
         "pydantic", "SQLAlchemy", "greenlet", "tortoise-orm", "piccolo", "peewee",
         "matplotlib")  # fmt: skip


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for dist in DISTS:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


def machine_info() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "sqlite_library": sqlite3.sqlite_version,
        "versions": versions(),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty_src": bool(_git("status", "--porcelain", "--", "../src")),
        "loadavg_start": os.getloadavg(),
    }
