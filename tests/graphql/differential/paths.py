"""The three ways the app can answer a read, each a real app over ASGI (Starlette's
TestClient runs its lifespan): the compiled path (Settings.compiled_reads), the ordinary
executor with its fast paths (compiled_reads off), and graphql-core's stock executor
(compiled_reads off, our ExecutionContext replaced by Strawberry's plain one)."""

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.routing import Route
from starlette.testclient import TestClient
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bookwell.app import create_app
from bookwell.core.config import Settings
from tests.graphql.differential.documents import Document

PATHS = ("compiled", "ordinary", "stock")
# A masked error names the request it happened in; nothing else in an answer may differ.
REQUEST_ID = re.compile(rb'"requestId":"[^"]*"')


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes  # the bytes clients get, the request id of a masked error blanked

    @property
    def answered_data(self) -> bool:
        """Data and no error: the answer compared something the database holds."""
        return self.status == 200 and b'"errors"' not in self.body and b'"data":{' in self.body


def _use_stock_executor(app) -> None:
    (view,) = [r.endpoint for r in app.routes if isinstance(r, Route) and r.path == "/graphql"]
    view.schema.execution_context_class = StrawberryGraphQLCoreExecutionContext


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[dict[str, TestClient]]:
    """A client of each path's app, all over the same database."""
    with contextlib.ExitStack() as stack:
        clients = {}
        for path in PATHS:
            # Reads are not rate limited, but the comparison must never be refused either.
            changes = {"compiled_reads": path == "compiled", "rate_limits": False}
            app = create_app(settings.model_copy(update=changes))
            if path == "stock":
                _use_stock_executor(app)
            client = TestClient(app, base_url="http://test", raise_server_exceptions=False)
            clients[path] = stack.enter_context(client)
        yield clients


def ask(client: TestClient, document: Document, token: str | None) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": document.query, "variables": document.variables}
    response = client.post("/graphql", json=body, headers=headers)
    return Answer(response.status_code, REQUEST_ID.sub(b'"requestId":"-"', response.content))


def difference(document: Document, answers: dict[str, Answer]) -> str:
    """The document and every path's answer, for the failure message."""
    lines = [f"document:\n{document}"]
    for path, answer in answers.items():
        lines.append(f"{path} ({answer.status}):\n{answer.body.decode(errors='replace')}")
    return "\n\n".join(lines)
