"""bench/pgcpu.py: reading CPU time and a process's connections from /proc."""

import os
import socket

from bench.pgcpu import (
    CLOCK_TICKS,
    BackendSample,
    client_ports,
    cpu_between,
    merge,
    process_cpu_seconds,
    stat_cpu_seconds,
    tcp_table_ports,
)

# A backend's stat line; its command holds a space and a ')'.
STAT = (
    "4242 (postgres: x) idle) S 1 4242 4242 0 -1 4194560 300 0 0 0 "
    "150 50 0 0 20 0 1 0 100 1000 10 18446744073709551615"
)
TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:D431 0100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 111 1
   1: 0100007F:D432 0100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 222 1
   2: 0100007F:D433 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 333 1
   3: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1
"""


def test_stat_line_gives_user_plus_system_time():
    assert stat_cpu_seconds(STAT) == (150 + 50) / CLOCK_TICKS


def test_tcp_table_gives_the_local_ports_of_our_sockets_to_that_port():
    # 0x1538 = 5432; inode 222 is not ours, 333 goes elsewhere, 444 is a listener.
    assert tcp_table_ports(TCP, {111, 333, 444}, 5432) == {0xD431}


def test_own_process_cpu_is_read_and_a_gone_process_is_none():
    assert process_cpu_seconds(os.getpid()) >= 0
    assert process_cpu_seconds(2**22 + 12345) is None  # above pid_max


def test_client_ports_finds_this_process_s_connection():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            with accepted:
                assert client_ports(os.getpid(), port) == {client.getsockname()[1]}


def test_cpu_between_counts_new_backends_from_zero_and_reports_gone_ones():
    before = BackendSample({1: 1.0, 2: 5.0, 3: 2.0})
    after = BackendSample({1: 1.5, 2: 5.25, 4: 0.5})
    used, gone = cpu_between(before, after)
    assert used == 0.5 + 0.25 + 0.5
    assert gone == 1


def test_merge_keeps_the_latest_time_of_every_backend_seen():
    seen = BackendSample({1: 2.0})
    merge(seen, BackendSample({1: 2.5, 2: 0.25}))
    merge(seen, BackendSample({2: 0.5}))  # 1 has gone: its last time stays
    assert seen.cpu == {1: 2.5, 2: 0.5}
