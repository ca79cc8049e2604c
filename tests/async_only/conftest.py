"""Fixtures for the async-only tests: every backend the async API runs on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import support
from tests.conftest import require_server


@pytest.fixture(params=support.backends(is_async=True))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    require_server(request.param)
    return support.url_for(request.param, str(tmp_path / "test.db"))
