"""Fields carried by every record logged inside a scope, kept in a ``contextvars`` variable.

The current fields are an immutable snapshot: entering a scope installs a new merged mapping and
leaving it restores the previous one exactly, so a record (or a queue) holding a snapshot never
sees it change. Each thread starts with no fields; each asyncio task starts with a copy of its
creator's fields and never leaks its own back.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, ParamSpec, TypeVar

__all__ = ["get_context", "log_context", "propagate_context"]

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

# The dict in the variable is never mutated once set: a new scope sets a new dict. Records and
# queues may therefore hold it by reference as a snapshot.
_NO_FIELDS: dict[str, object] = {}  # shared and never mutated, like every value set below
CURRENT: contextvars.ContextVar[dict[str, object]] = contextvars.ContextVar(
    "stunir_logging_context", default=_NO_FIELDS
)

# The scopes entered in this thread or task, innermost last, each with the token that restores
# what it replaced. Kept per context (not on the instance), so one log_context object may be
# entered by many tasks and threads at once.
_SCOPES: contextvars.ContextVar[
    tuple[tuple[log_context, contextvars.Token[dict[str, object]]], ...]
]
_SCOPES = contextvars.ContextVar("stunir_logging_scopes", default=())


def get_context() -> Mapping[str, object]:
    """The fields of the current scope (read-only; empty outside every ``log_context``)."""
    return MappingProxyType(CURRENT.get())


class log_context:  # lower case: used like a function, `with log_context(user="ann"):`
    """Add ``fields`` to every record logged inside this scope (sync or async ``with``).

    Nested scopes merge (the inner value wins) and exit restores the outer fields exactly.
    Also a decorator: ``@log_context(job="sync")`` wraps a function or coroutine function.
    """

    __slots__ = ("_fields",)

    def __init__(self, **fields: object) -> None:
        self._fields = fields

    def __enter__(self) -> Mapping[str, object]:
        merged = {**CURRENT.get(), **self._fields}
        token = CURRENT.set(merged)
        _SCOPES.set((*_SCOPES.get(), (self, token)))
        return MappingProxyType(merged)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        scopes = _SCOPES.get()
        for index in range(len(scopes) - 1, -1, -1):
            if scopes[index][0] is self:
                CURRENT.reset(scopes[index][1])
                _SCOPES.set(scopes[:index] + scopes[index + 1 :])
                return

    async def __aenter__(self) -> Mapping[str, object]:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    def __call__(self, function: F) -> F:
        fields = self._fields
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with log_context(**fields):
                    return await function(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with log_context(**fields):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def propagate_context(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` bound to the caller's current context, to run in another thread.

    ``executor.submit(propagate_context(work), item)``: records logged by ``work`` carry the
    fields of the scope that submitted it. Each call runs in its own copy, so the wrapper may be
    called from many threads at once, and nothing it sets leaks back.
    """
    snapshot = contextvars.copy_context()

    @functools.wraps(function)
    def run_in_context(*args: P.args, **kwargs: P.kwargs) -> R:
        return snapshot.copy().run(function, *args, **kwargs)

    return run_in_context
