"""Test helpers for applications built on twinsql, and the pytest plugin that uses them.

``capture_queries``, ``assert_num_queries`` and ``assert_max_queries`` work with any test
runner; ``twinsql.testing.pytest_plugin`` is loaded by pytest through the ``pytest11``
entry point and provides the fixtures (see its docstring and the README's "Testing"
section). Nothing in the library imports this package.
"""

from twinsql.testing.capture import (
    CapturedStatement,
    QueryAssertion,
    QueryCapture,
    assert_max_queries,
    assert_num_queries,
    capture_queries,
)
from twinsql.testing.plan import reset_statements

__all__ = [
    "CapturedStatement",
    "QueryAssertion",
    "QueryCapture",
    "assert_max_queries",
    "assert_num_queries",
    "capture_queries",
    "reset_statements",
]
