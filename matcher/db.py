"""The database engine, one session per request, and the SQLite settings that make it safe."""

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import psycopg
from flask import Flask, current_app, g
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL session settings, sent once at connect. The app runs short OLTP queries: JIT
# compiling them costs far more than it saves. And a plan per call: psycopg prepares a
# statement run five times, and a generic plan of the matcher's narrowing cannot tell Germany
# (a fifth of the providers) from Chile.
POSTGRESQL_OPTIONS = "-c jit=off -c plan_cache_mode=force_custom_plan"
# Ids per IN (...) list: far below SQLite's (32,766) and PostgreSQL's (65,535) bound-parameter
# limits, even for a statement that names the list twice.
IN_CHUNK = 5000
# SQLSTATEs of a server gone or not taking connections: connection exceptions (08...), its
# shutdown or start-up (57P..), no connection slot left (53300). psycopg's own connection
# failures carry none. Any other database error (a deadlock, a cancelled query) is a bug.
UNREACHABLE_SQLSTATES = ("08", "57P", "53300")


def database_unreachable(error: DBAPIError) -> bool:
    """Tell whether a database error means the connection is lost or cannot be made."""
    if error.connection_invalidated:
        return True
    original = error.orig
    # psycopg's InterfaceError is a connection already closed under us ("the connection is
    # closed"): the server went away between two statements.
    if isinstance(original, psycopg.InterfaceError):
        return True
    if not isinstance(original, psycopg.OperationalError):
        return False
    return original.sqlstate is None or original.sqlstate.startswith(UNREACHABLE_SQLSTATES)


def in_chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """Split ids into lists short enough for one IN (...) each, in the order given."""
    ids = list(ids)
    # Read at call time, so a test can make the lists short.
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


def make_engine(url: str, *, immediate: bool = True) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE writes.

    immediate=False keeps SQLite's deferred transactions: for read-mostly tools (tests,
    benchmarks) that must not hold the write lock while they look. A statement's values
    (names, e-mails, phones) never appear in its errors, so never in a logged traceback.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url,
            hide_parameters=True,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            connect_args={"options": POSTGRESQL_OPTIONS},
        )
    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    # A small pool: closing the last connection to a WAL database checkpoints it, which
    # would cost every request a few milliseconds. Forked children drop it (init_app).
    engine = create_engine(
        url,
        hide_parameters=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Take the write lock up front: a deferred transaction that later upgrades to a
        # writer fails with "database is locked" instead of waiting for the busy timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def init_app(app: Flask) -> None:
    """Bind the engine to the app and close the request's session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["certmatch.engine"] = engine
    # A forked RQ work-horse must not reuse the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["certmatch.engine"]


def get_session() -> Session:
    """Return the session of the current request or job, opening it on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """Run a unit of work in its own session: commit on success, roll back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
