"""Routing decisions without a database: options, the read-your-writes window on a test
clock, overrides, staying on one node, health and lag."""

from __future__ import annotations

import contextvars

import pytest

from twinsql import errors
from twinsql.connection.routing import Router, is_node_failure, lag_from_rows, lag_sql
from twinsql.connection.scale import RoutingConfig, replica_urls, split_scale_options
from twinsql.connection.url import parse_url


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(replicas: int = 2, **config: object) -> tuple[Router, Clock]:
    clock = Clock()
    return Router([f"r{i}" for i in range(replicas)], RoutingConfig(**config), clock), clock  # type: ignore[arg-type]


def test_options_come_out_of_the_url_and_keywords_and_keywords_win() -> None:
    config, url_rest, kw_rest = split_scale_options(
        {"replicas": "h1:5433,h2", "read_your_writes": "5", "sslmode": "disable"},
        {"max_replica_lag": 1.5, "pool_size": 3, "read_your_writes": 0.5},
    )
    assert config.replicas == ("h1:5433", "h2")
    assert config.read_your_writes == 0.5 and config.max_replica_lag == 1.5
    assert url_rest == {"sslmode": "disable"} and kw_rest == {"pool_size": 3}
    assert config.pooler is None and config.replica_retry_interval == 1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pooler": "pgpool"}, "pooler must be one of pgbouncer"),
        ({"read_your_writes": -1}, "read_your_writes must be >= 0"),
        ({"max_replica_lag": "soon"}, "max_replica_lag must be a number"),
        ({"replicas": 5}, "replicas must be a list"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=message):
        split_scale_options({}, options)


def test_replica_urls_share_the_primarys_parts_in_the_url_form() -> None:
    primary = parse_url("postgresql://app:s3cret@db1:5432/shop?replicas=db2:5433&sslmode=disable")
    config, _, _ = split_scale_options(primary.options, {})
    (replica,) = replica_urls(primary, config)
    assert (replica.host, replica.port, replica.database) == ("db2", 5433, "shop")
    assert replica.password == "s3cret" and dict(replica.options) == {"sslmode": "disable"}
    full = RoutingConfig(replicas=("mysql://u@other:3307/x",))
    assert replica_urls(primary, full)[0].backend == "mysql"
    with pytest.raises(errors.ConfigurationError, match="host or host:port"):
        replica_urls(primary, RoutingConfig(replicas=("u@db2/x",)))
    assert "s3cret" not in repr(RoutingConfig(replicas=("postgresql://u:s3cret@h/d",)))


def test_reads_rotate_writes_go_to_the_primary_and_open_the_window() -> None:
    router, clock = make(read_your_writes=2.0)
    assert [router.route(True) for _ in range(4)] == [0, 1, 0, 1]
    assert router.route(False) is None
    router.note_write()
    assert router.route(True) is None
    clock.now += 1.99
    assert router.route(True) is None
    clock.now += 0.02
    assert router.route(True) in (0, 1)


def test_the_window_belongs_to_the_context_that_wrote() -> None:
    router, _ = make()
    other = contextvars.copy_context()
    router.note_write()
    assert router.route(True) is None
    assert other.run(router.route, True) in (0, 1)


def test_overrides() -> None:
    router, _ = make(replicas=1)
    router.note_write()
    with router.replica():
        assert router.route(True) == 0
        with pytest.raises(errors.ReplicaWriteError, match=r"db\.primary"):
            router.route(False)
        with router.primary():
            assert router.route(True) is None
    with router.primary():
        assert router.route(True) is None


def test_same_node_keeps_the_first_reads_node() -> None:
    router, _ = make(replicas=3)
    with router.same_node():
        first = router.route(True)
        assert [router.route(True) for _ in range(3)] == [first] * 3
    assert router.route(True) != first


def test_a_failed_replica_leaves_the_rotation_and_is_probed_after_the_interval() -> None:
    router, clock = make(replica_retry_interval=1.0)
    assert router.mark_down(0, errors.ConnectionLost("gone")) is True
    assert router.mark_down(0, errors.ConnectionLost("gone")) is False
    assert [router.route(True) for _ in range(3)] == [1, 1, 1]
    assert router.due_probes() == []
    clock.now += 1.0
    assert router.due_probes() == [0]
    assert router.due_probes() == []  # already probing
    router.probe_failed(0, errors.OperationalError("refused"))
    clock.now += 1.0
    assert router.due_probes() == [0]
    assert router.probe_succeeded(0, None) is True
    assert router.in_rotation(0)
    stats = router.stats("p", [None, None, None])  # type: ignore[list-item]
    assert stats[1].failures == 1 and stats[1].recoveries == 1 and stats[0].fallbacks == 2


def test_every_replica_down_sends_reads_to_the_primary() -> None:
    router, _ = make(replicas=1)
    router.mark_down(0, errors.ConnectionLost("gone"))
    assert router.route(True) is None


def test_the_lag_limit_needs_a_measured_lag_within_it() -> None:
    router, clock = make(replicas=1, max_replica_lag=1.0, replica_retry_interval=0.5)
    assert router.route(True) is None  # not measured yet
    assert router.due_probes() == [0]
    router.probe_succeeded(0, 0.2)
    assert router.route(True) == 0
    clock.now += 0.5
    assert router.due_probes() == [0]
    router.probe_succeeded(0, 3.0)
    assert router.route(True) is None


def test_node_failures_are_told_from_statement_failures() -> None:
    assert is_node_failure(errors.ConnectionLost("x"))
    assert is_node_failure(errors.OperationalError("connection refused"))
    assert is_node_failure(errors.PoolTimeout("x"))
    assert not is_node_failure(errors.StatementTimeout("x"))
    assert not is_node_failure(errors.SerializationFailure("conflict with recovery"))
    assert not is_node_failure(errors.ProgrammingError("no such table"))


def test_lag_from_rows() -> None:
    assert lag_from_rows("postgresql", [{"lag": 1.5}]) == 1.5
    assert lag_from_rows("mysql", [{"Seconds_Behind_Master": 3}]) == 3.0
    assert lag_from_rows("mysql", [{"Seconds_Behind_Master": None}]) == float("inf")
    assert lag_from_rows("mysql", []) == 0.0
    assert "pg_last_xact_replay_timestamp" in lag_sql("postgresql")
    with pytest.raises(errors.ConfigurationError, match="server backend"):
        lag_sql("sqlite")
