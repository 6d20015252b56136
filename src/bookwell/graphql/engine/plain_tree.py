"""Completing a whole object subtree in one pass, where graphql-core's machinery adds nothing.

A subtree is plain when every selected field is an attribute (no resolver, no arguments) or
a value its parent's connection prefetched (graphql/engine/execution.py: `prefetched_as`), and every
type in it is a scalar, an enum, a list, or an object type (whose `is_type_of`, if any, is
checked as graphql-core would). Its result
is then built by the functions here: `complete_tree(entries, source)` gives the object's dict.

Anything unexpected on the way (a missing attribute or prefetched value, a null where the
schema says non-null, a value that does not serialise) gives up: `complete_tree` answers
None and the caller completes the object the normal way, so errors stay graphql-core's own.
"""

from collections.abc import Callable, Hashable, Iterable
from typing import Any

import orjson
from graphql import FieldNode, Undefined
from graphql.pyutils import AwaitableOrValue

from bookwell.graphql.engine.json_pages import Prebuilt

MISSING = object()
_GIVE_UP = object()

Fetch = Callable[[Any], Any]
Finish = Callable[[Any], Any]
Entry = tuple[str, Fetch, Finish]  # response name, where the value is, how to complete it


def complete_tree(entries: list[Entry], source: Any) -> dict[str, Any] | None:
    completed = {}
    for response_name, fetch, finish in entries:
        value = fetch(source)
        if value is MISSING:
            return None
        done = finish(value)
        if done is _GIVE_UP:
            return None
        completed[response_name] = done
    return completed


def attribute(name: str) -> Fetch:
    return lambda source: getattr(source, name, MISSING)


def prefetched_value(key: Hashable, node: FieldNode | None, otherwise: str | None = None) -> Fetch:
    """`node`: the one field node completed, if one; JSON prefetched for it is used as is.
    `otherwise`: the attribute to read when nothing is prefetched under `key`."""

    def fetch(source: Any) -> Any:
        store = getattr(source, "prefetched", None)
        value = MISSING if store is None else store.get(key, MISSING)
        if isinstance(value, Prebuilt):
            return value.json if value.node is node else MISSING
        if value is MISSING and otherwise is not None:
            return getattr(source, otherwise, MISSING)
        return value

    return fetch


def scalar(serialize: Callable[[Any], Any], nullable: bool) -> Finish:
    def finish(value: Any) -> Any:
        if value is None:
            return None if nullable else _GIVE_UP
        try:
            done = serialize(value)
        except Exception:
            return _GIVE_UP
        return _GIVE_UP if done is None or done is Undefined else done

    return finish


def enum(serialize: Callable[[Any], Any], nullable: bool) -> Finish:
    """An enum's few values, each serialised once (Strawberry's serialize is a linear search)."""
    names: dict[Any, Any] = {}
    plain = scalar(serialize, nullable)

    def finish(value: Any) -> Any:
        try:
            return names[value]
        except (KeyError, TypeError):  # TypeError: an unhashable value
            done = plain(value)
            if done is not _GIVE_UP and value is not None and len(names) < 256:
                names[value] = done
            return done

    return finish


def object_of(
    entries: list[Entry],
    nullable: bool,
    is_type_of: Callable[[Any, Any], AwaitableOrValue[bool]] | None = None,
) -> Finish:
    """`is_type_of`: the check graphql-core makes of a value for a type that implements an
    interface (Strawberry's is an isinstance test: synchronous, and it reads no resolve
    info)."""

    def finish(value: Any) -> Any:
        if value is None:
            return None if nullable else _GIVE_UP
        if is_type_of is not None and not is_type_of(value, None):
            return _GIVE_UP
        done = complete_tree(entries, value)
        return _GIVE_UP if done is None else done

    return finish


def list_of(item: Finish, nullable: bool) -> Finish:
    def finish(value: Any) -> Any:
        if value is None:
            return None if nullable else _GIVE_UP
        if isinstance(value, orjson.Fragment):  # only ever from prefetched_value
            return value
        if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
            return _GIVE_UP
        done = []
        for element in value:
            completed = item(element)
            if completed is _GIVE_UP:
                return _GIVE_UP
            done.append(completed)
        return done

    return finish
