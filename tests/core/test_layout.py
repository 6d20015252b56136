"""The habits of the layout (docs/architecture.md) that import-linter cannot see: small
modules, transactions opened only by the use cases, services that take `session` by name
and return records, not rows, from their public functions."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "bookwell"
MAX_LINES = 400

# Besides flows/ (and core/, which makes the sessions): the outbox relay and the email
# delivery hold their transaction open around a send (workers/relay.py, delivery.py say why).
# The relay and the deliveries (emails, webhooks) commit around what leaves the process: a
# claim, the send outside any transaction, then its outcome.
OPENS_TRANSACTIONS = {
    "flows",
    "core",
    "workers/relay.py",
    "workers/delivery.py",
    "workers/webhooks.py",
}


def _modules(under: Path = SRC) -> list[Path]:
    return sorted(under.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def test_no_module_is_over_400_lines():
    long = {_name(p): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_only_the_flows_open_a_transaction():
    found = []
    for path in _modules():
        name = _name(path)
        if name.split("/")[0] in OPENS_TRANSACTIONS or name in OPENS_TRANSACTIONS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "transaction"
            ):
                found.append(f"{name}:{node.lineno}")
    assert found == []


def _public_functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name[0] != "_":
            yield node


def test_services_take_session_by_keyword():
    positional = [
        f"{_name(path)}:{function.name}"
        for path in _modules(SRC / "services")
        for function in _public_functions(path)
        if any(arg.arg == "session" for arg in function.args.posonlyargs + function.args.args)
    ]
    assert positional == []


def test_public_service_functions_return_records_not_rows():
    rows = [
        f"{_name(path)}:{function.name}"
        for path in _modules(SRC / "services")
        for function in _public_functions(path)
        if (function.returns is not None and "Row" in ast.unparse(function.returns).split("[")[0])
        or (
            function.returns is not None
            and any(
                isinstance(node, ast.Name) and node.id == "Row"
                for node in ast.walk(function.returns)
            )
        )
    ]
    assert rows == []
