"""Pure tests of twinsql.connection.url: URL forms, percent-decoding, redaction, errors."""

from __future__ import annotations

import pickle
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsql.connection.url import DatabaseURL, parse_url
from twinsql.errors import ConfigurationError

SENTINEL = "S3cr3t-P@ss/w:rd%"
ENCODED = quote(SENTINEL, safe="")
# Pieces of the sentinel that would betray a partial leak.
LEAK_MARKERS = ("S3cr3t", "w:rd", ENCODED, "P%40ss")


def assert_no_leak(text: str) -> None:
    for marker in LEAK_MARKERS:
        assert marker not in text, f"password fragment {marker!r} leaked into {text!r}"


@pytest.mark.parametrize(
    ("url", "backend", "driver", "database"),
    [
        ("sqlite:///relative.db", "sqlite", None, "relative.db"),
        ("sqlite:///dir/sub/app.db", "sqlite", None, "dir/sub/app.db"),
        ("sqlite:////abs/path.db", "sqlite", None, "/abs/path.db"),
        ("sqlite://", "sqlite", None, ":memory:"),
        ("sqlite:///", "sqlite", None, ":memory:"),
        ("sqlite:///:memory:", "sqlite", None, ":memory:"),
        ("sqlite+sqlite3:///x.db", "sqlite", "sqlite3", "x.db"),
        ("sqlite:///my%20file%3F.db", "sqlite", None, "my file?.db"),
        ("SQLite:///x.db", "sqlite", None, "x.db"),
    ],
)
def test_sqlite_forms(url: str, backend: str, driver: str | None, database: str) -> None:
    parsed = parse_url(url)
    assert (parsed.backend, parsed.driver, parsed.database) == (backend, driver, database)
    assert parsed.host is None and parsed.port is None and parsed.username is None
    assert parsed.is_memory == (database == ":memory:")


def test_sqlite_memory_mode_option() -> None:
    parsed = parse_url("sqlite:///shared?mode=memory&cache=shared")
    assert parsed.is_memory
    assert dict(parsed.options) == {"mode": "memory", "cache": "shared"}


@pytest.mark.parametrize(
    ("url", "backend", "driver"),
    [
        ("postgresql://u:p@host:5432/db", "postgresql", None),
        ("postgres://u:p@host:5432/db", "postgresql", None),
        ("postgresql+psycopg://u:p@host:5432/db", "postgresql", "psycopg"),
        ("postgresql+asyncpg://u:p@host:5432/db", "postgresql", "asyncpg"),
        ("postgres+asyncpg://u:p@host:5432/db", "postgresql", "asyncpg"),
        ("mysql://u:p@host:5432/db", "mysql", None),
        ("mariadb://u:p@host:5432/db", "mysql", None),
        ("mysql+pymysql://u:p@host:5432/db", "mysql", "pymysql"),
        ("mysql+mysqlclient://u:p@host:5432/db", "mysql", "mysqlclient"),
        ("mysql+mysqldb://u:p@host:5432/db", "mysql", "mysqlclient"),
        ("mysql+asyncmy://u:p@host:5432/db", "mysql", "asyncmy"),
        ("mariadb+asyncmy://u:p@host:5432/db", "mysql", "asyncmy"),
        ("mariadb+pymysql://u:p@host:5432/db", "mysql", "pymysql"),
        ("PostgreSQL+AsyncPG://u:p@host:5432/db", "postgresql", "asyncpg"),
    ],
)
def test_server_schemes(url: str, backend: str, driver: str | None) -> None:
    parsed = parse_url(url)
    assert (parsed.backend, parsed.driver) == (backend, driver)
    assert (parsed.username, parsed.password, parsed.host, parsed.port, parsed.database) == (
        "u",
        "p",
        "host",
        5432,
        "db",
    )


def test_minimal_and_partial_server_urls() -> None:
    assert parse_url("postgresql://host/db") == DatabaseURL(
        "postgresql", None, host="host", database="db"
    )
    bare = parse_url("postgresql://")
    assert (bare.host, bare.port, bare.database, bare.username) == (None, None, None, None)
    socket = parse_url("postgresql:///db")
    assert socket.host is None and socket.database == "db"
    only_user = parse_url("mysql://root@127.0.0.1:3306/test")
    assert (only_user.username, only_user.password) == ("root", None)
    empty_password = parse_url("mysql://root:@h/test")
    assert empty_password.password == ""


def test_ipv6_and_socket_hosts() -> None:
    parsed = parse_url("postgresql://u@[::1]:5433/db")
    assert (parsed.host, parsed.port) == ("::1", 5433)
    assert "[::1]:5433" in parsed.redacted()
    assert parse_url("postgresql://[fe80::1%25eth0]/db").host == "fe80::1%eth0"
    socket = parse_url("postgresql://u@%2Fvar%2Frun%2Fpostgresql/db")
    assert socket.host == "/var/run/postgresql"
    assert parse_url(socket.render_with_password()) == socket


def test_query_options() -> None:
    parsed = parse_url("postgresql://h/db?sslmode=require&application_name=my%20app&tz=%2B02:00")
    assert dict(parsed.options) == {
        "sslmode": "require",
        "application_name": "my app",
        "tz": "+02:00",
    }
    assert parse_url("postgresql://h/db?flag").options["flag"] == ""
    assert parse_url("postgresql://h/db?a=1+2").options["a"] == "1+2"  # "+" kept


def test_repeated_query_option_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="more than once"):
        parse_url("postgresql://h/db?sslmode=disable&sslmode=require")


def test_options_are_immutable_hashable_and_picklable() -> None:
    parsed = parse_url("postgresql://u:p@h/db?sslmode=require")
    with pytest.raises(TypeError):
        parsed.options["sslmode"] = "disable"  # type: ignore[index]
    with pytest.raises(AttributeError):
        parsed.host = "other"  # type: ignore[misc]
    assert hash(parsed) == hash(parse_url("postgresql://u:p@h/db?sslmode=require"))
    assert pickle.loads(pickle.dumps(parsed)) == parsed
    direct = DatabaseURL("postgresql", None, host="h", options={"a": "1"})
    assert direct.options == {"a": "1"}
    with pytest.raises(TypeError):
        direct.options["a"] = "2"  # type: ignore[index]


def test_sentinel_password_decodes() -> None:
    parsed = parse_url(f"postgresql://app:{ENCODED}@db.example:5432/prod")
    assert parsed.password == SENTINEL
    assert parsed.username == "app"
    assert parsed.host == "db.example"
    assert parsed.render_with_password() == f"postgresql://app:{ENCODED}@db.example:5432/prod"


def test_sentinel_password_never_shown() -> None:
    parsed = parse_url(f"mysql+asyncmy://app:{ENCODED}@[::1]:3306/prod?charset=utf8mb4")
    for text in (
        str(parsed),
        repr(parsed),
        parsed.redacted(),
        f"{parsed}",
        f"{parsed!r}",
        repr([parsed]),
        str({"url": parsed}),
    ):
        assert_no_leak(text)
        assert "***" in text
    assert repr(parsed) == "DatabaseURL('mysql+asyncmy://app:***@[::1]:3306/prod?charset=utf8mb4')"


def test_password_without_user_and_secret_options_are_redacted() -> None:
    parsed = parse_url(f"postgresql://:{ENCODED}@h/db?password={ENCODED}&sslmode=require")
    assert parsed.username is None and parsed.password == SENTINEL
    assert parsed.options["password"] == SENTINEL
    assert parsed.redacted() == "postgresql://:***@h/db?password=***&sslmode=require"
    assert_no_leak(repr(parsed.options))
    assert parse_url(parsed.render_with_password()) == parsed


def test_no_password_no_mask() -> None:
    assert repr(parse_url("postgresql://u@h/db")) == "DatabaseURL('postgresql://u@h/db')"


BAD_URLS = [
    "",
    "   ",
    "nonsense",
    "mssql://u:p@h/db",
    "oracle+cx://h",
    "postgresql+pymysql://u@h/db",
    "mysql+psycopg://u@h/db",
    "sqlite+psycopg:///x.db",
    "postgresql://u@h:abc/db",
    "postgresql://u@h:0/db",
    "postgresql://u@h:65536/db",
    "postgresql://u@h:-1/db",
    "postgresql://u@::1/db",
    "postgresql://u@[::1/db",
    "postgresql://u@[::1]x/db",
    "sqlite://relative.db",
    "sqlite://u:p@host/x.db",
    "postgresql://h/db#frag",
    "postgresql://h/db?=x",
    "://h/db",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_urls_raise_configuration_error_listing_schemes(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_url(url)
    message = str(info.value)
    assert "postgresql+asyncpg://" in message and "mysql+asyncmy://" in message


# A raw (unencoded) sentinel password breaks the URL structure in different places; every
# resulting message must still be free of it.
LEAKY_URLS = [
    f"postgresql://app:{SENTINEL}@h:5432/db",
    f"postgresql+asyncpg://app:{SENTINEL}@h/db",
    f"mysql://app:{SENTINEL}@h/db?x=1",
    f"postgresql://app:{SENTINEL}",
    f"postgresql://app:{SENTINEL}#@h/db",
    f"mssql://app:{ENCODED}@h/db",
    f"postgresql+bogus://app:{ENCODED}@h/db",
    f"postgresql://app:{ENCODED}@h:99x/db",
    f"postgresql://app:{ENCODED}@h/db?a=1&a=2",
    f"app:{SENTINEL}://h/db",
    "postgresql://app:S3cr3t-P?ss@h/db",
    "postgresql://app:S3cr3t-P%zz@h/db",
    f"postgresql://app:{ENCODED}@h/db%zz",
]


def test_unencoded_colon_and_at_in_password_still_parse() -> None:
    # The user name ends at the first ":" and the host starts after the last "@".
    assert parse_url("postgresql://app:pa:ss@h/db").password == "pa:ss"
    assert parse_url("postgresql://app:p@ss@h/db").password == "p@ss"
    assert parse_url("postgresql://app:p@ss@h/db").host == "h"


def test_sqlite_paths_may_hold_a_bare_percent() -> None:
    assert parse_url("sqlite:///100%.db").database == "100%.db"


@pytest.mark.parametrize("url", LEAKY_URLS)
def test_errors_never_contain_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_url(url)
    assert_no_leak(str(info.value))
    assert_no_leak(repr(info.value))


def test_database_url_from_environment() -> None:
    parsed = parse_url(environ={"DATABASE_URL": "sqlite:///env.db"})
    assert parsed.database == "env.db"
    assert parse_url(None, environ={"DATABASE_URL": "  sqlite://\n"}).is_memory
    for environ in ({}, {"DATABASE_URL": ""}, {"DATABASE_URL": "  "}):
        with pytest.raises(ConfigurationError, match="DATABASE_URL") as info:
            parse_url(None, environ=environ)
        assert "pass a URL" in str(info.value)
    with pytest.raises(ConfigurationError, match="DATABASE_URL") as bad:
        parse_url(environ={"DATABASE_URL": f"postgresql://u:{SENTINEL}@h/db"})
    assert_no_leak(str(bad.value))


def test_default_environ_is_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@envhost/db")
    assert parse_url().host == "envhost"
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        parse_url()


def test_database_url_instance_is_returned_as_is() -> None:
    parsed = parse_url("sqlite:///x.db")
    assert parse_url(parsed) is parsed


def test_non_string_url_is_rejected_without_echo() -> None:
    with pytest.raises(ConfigurationError, match="bytes") as info:
        parse_url(f"postgresql://u:{SENTINEL}@h/db".encode())  # type: ignore[arg-type]
    assert_no_leak(str(info.value))


def test_direct_construction_is_validated_and_normalized() -> None:
    assert DatabaseURL("postgres", "AsyncPG").backend == "postgresql"
    assert DatabaseURL("mariadb", "mysqldb").driver == "mysqlclient"
    assert DatabaseURL("sqlite", None).database == ":memory:"
    with pytest.raises(ConfigurationError, match="supported URL schemes"):
        DatabaseURL("mssql", None)
    with pytest.raises(ConfigurationError, match="supported drivers: psycopg, asyncpg"):
        DatabaseURL("postgresql", "pymysql")
    with pytest.raises(ConfigurationError, match="port"):
        DatabaseURL("postgresql", None, port=70000)
    with pytest.raises(ConfigurationError, match="port"):
        DatabaseURL("postgresql", None, port=True)
    with pytest.raises(ConfigurationError, match="str to str"):
        DatabaseURL("postgresql", None, options={"a": 1})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///relative.db",
        "sqlite:////abs/path.db",
        "sqlite:///:memory:",
        "postgresql+asyncpg://u:p@h:1/db?a=b&c=",
        "mysql://u@[::1]:3306/test",
        "postgresql://h",
    ],
)
def test_render_round_trip(url: str) -> None:
    assert parse_url(url).render_with_password() == url


_text = st.text(st.characters(codec="utf-8"), max_size=20)  # no lone surrogates


@given(
    username=st.one_of(st.none(), _text.filter(bool)),
    password=st.one_of(st.none(), _text),
    host=st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9.-]{0,15}", fullmatch=True)),
    port=st.one_of(st.none(), st.integers(1, 65535)),
    database=st.one_of(st.none(), _text.filter(bool)),
    options=st.dictionaries(_text.filter(bool), _text, max_size=3),
)
def test_render_parse_round_trip_property(
    username: str | None,
    password: str | None,
    host: str | None,
    port: int | None,
    database: str | None,
    options: dict[str, str],
) -> None:
    url = DatabaseURL(
        "postgresql",
        "psycopg",
        username=username,
        password=password,
        host=host,
        port=port,
        database=database,
        options=options,
    )
    assert parse_url(url.render_with_password()) == url
    if password:
        assert url.redacted().count("***") >= 1


@given(path=_text.filter(lambda p: p not in ("", ":memory:")))
def test_sqlite_path_round_trip_property(path: str) -> None:
    url = DatabaseURL("sqlite", None, database=path)
    assert parse_url(url.render_with_password()) == url
