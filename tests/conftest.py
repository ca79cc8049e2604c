"""Suite-wide pytest configuration: backend selection and the loud summary of skips."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests import support

_unreachable: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "disturbs_replica: holds replay back on, or stops, the shared replica "
        "(the test takes the replica alone)",
    )


def require_server(backend: str) -> None:
    """Skip (or, under CI, fail) a test whose server does not answer."""
    server = support.SERVER_OF[backend]
    if server is None or support.server_answers(server):
        return
    _unreachable.add(server)
    message = f"{server} server does not answer (see tests/support.py for its URL)"
    if support.IN_CI:
        pytest.fail(f"CI=true: {message}; every backend must run in CI", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _sql_log_level() -> Iterator[None]:
    """``echo=True`` sets logger ``twinsql.sql`` to INFO for the process; a test that uses it
    must not leave every later test logging its statements."""
    logger = logging.getLogger("twinsql.sql")
    level = logger.level
    yield
    logger.setLevel(level)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests import topology

    support.drop_run_databases()
    topology.drop_run_databases()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _unreachable:
        terminalreporter.write_sep("!", "BACKENDS NOT TESTED", red=True, bold=True)
        for server in sorted(_unreachable):
            terminalreporter.write_line(
                f"{server}: server unreachable — its tests were SKIPPED, not passed", red=True
            )
