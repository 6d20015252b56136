"""`bookwell serve` stopped with SIGTERM (what Kubernetes sends): a real process and a raw
socket, so the request is provably in flight when the signal arrives."""

import json
import signal
import socket

import pytest

from tests.cli.serving import Serve, serve_env
from tests.support.ports import free_port

pytestmark = pytest.mark.slow

QUERY = json.dumps({"query": "{ __typename }"}).encode()


def _serve(tmp_path, database_url: str, **env: str) -> tuple[Serve, int]:
    port = free_port()
    serve = Serve(
        ["--port", str(port)],
        serve_env(
            DATABASE_URL=database_url,
            BOOKWELL_DATA_DIR=str(tmp_path / "data"),
            BOOKWELL_SEED_DEMO_DATA="false",
            BOOKWELL_LOG_FORMAT="json",
            **env,
        ),
    )
    serve.wait_for("Uvicorn running on")
    return serve, port


def _request_in_flight(port: int) -> socket.socket:
    """A POST whose headers are sent and whose body is not: `Expect: 100-continue` makes the
    server say when the app has started reading the body, so the request is being served."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(QUERY)}\r\nExpect: 100-continue\r\n\r\n"
    )
    connection.sendall(head.encode())
    assert connection.recv(100).startswith(b"HTTP/1.1 100 Continue")
    return connection


def _read_response(connection: socket.socket) -> bytes:
    answer = b""
    while chunk := connection.recv(65536):  # the server closes the connection: it is stopping
        answer += chunk
    return answer


def _stop(serve: Serve) -> int:
    return serve.finish(timeout=60)


def test_sigterm_lets_the_request_in_flight_finish_and_refuses_new_ones(tmp_path, database_url):
    serve, port = _serve(tmp_path, database_url)
    try:
        connection = _request_in_flight(port)
        serve.process.send_signal(signal.SIGTERM)
        serve.wait_for("Waiting for connections to close", timeout=30)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(QUERY)  # the rest of the request, after the signal
        answer = _read_response(connection)
        connection.close()
        assert _stop(serve) == 0
    finally:
        if serve.process.poll() is None:
            serve.process.kill()
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200")
    assert json.loads(body) == {"data": {"__typename": "Query"}}
    assert "timeout graceful shutdown exceeded" not in serve.output
    assert "Stopped." in serve.output


def test_a_request_that_never_ends_is_cancelled_after_the_grace_period(tmp_path, database_url):
    """BOOKWELL_GRACEFUL_SHUTDOWN_SECONDS bounds the wait (uvicorn alone would wait forever)."""
    serve, port = _serve(tmp_path, database_url, BOOKWELL_GRACEFUL_SHUTDOWN_SECONDS="1")
    try:
        connection = _request_in_flight(port)
        serve.process.send_signal(signal.SIGTERM)
        code = _stop(serve)  # the body never comes
        connection.close()
    finally:
        if serve.process.poll() is None:
            serve.process.kill()
    assert code == 0
    assert "timeout graceful shutdown exceeded" in serve.output
    assert "Stopped." in serve.output
