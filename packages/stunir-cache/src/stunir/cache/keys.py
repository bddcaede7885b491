"""Cache keys for @cached: stable across processes, indifferent to keyword order."""

from __future__ import annotations

import enum
import hashlib
import inspect
from collections.abc import Callable, Hashable
from typing import Any

from stunir.cache._validate import NAMESPACE_SEPARATOR
from stunir.cache.errors import CacheKeyError

KeyBuilder = Callable[[tuple[Any, ...], dict[str, Any]], Hashable]

_MAX_KEY_CHARS = 200  # longer argument texts are replaced by a digest
_PLAIN = (str, int, float, bool, bytes, type(None))


def stable_repr(value: Any, function: str) -> str:
    """Text that names ``value`` the same way in every process (``repr`` may show addresses)."""
    kind = type(value)
    if kind in _PLAIN:
        return repr(value)
    if kind is tuple or kind is list:
        inner = ",".join(stable_repr(item, function) for item in value)
        return f"({inner})" if kind is tuple else f"[{inner}]"
    if kind is dict:
        items = sorted(
            f"{stable_repr(k, function)}:{stable_repr(v, function)}" for k, v in value.items()
        )
        return "{" + ",".join(items) + "}"
    if kind is set or kind is frozenset:
        return "{" + ",".join(sorted(stable_repr(item, function) for item in value)) + "}"
    custom = getattr(value, "__cache_key__", None)
    if custom is not None:
        return f"{kind.__qualname__}({stable_repr(custom(), function)})"
    if isinstance(value, enum.Enum):
        return f"{kind.__qualname__}.{value.name}"
    raise CacheKeyError(function, f"{kind.__module__}.{kind.__qualname__}")


def _canonical(
    signature: inspect.Signature | None,
) -> Callable[..., tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]]:
    """Positional form of a call: ``f(1, b=2)``, ``f(b=2, a=1)`` and ``f(1, 2)`` all agree."""

    def canonical(
        args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]:
        if not kwargs:
            return args, ()
        if signature is not None:
            bound = signature.bind(*args, **kwargs)
            args, kwargs = bound.args, bound.kwargs
        return args, tuple(sorted(kwargs.items()))

    return canonical


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have none: keyword order still ignored
        return None


def object_key_builder(fn: Callable[..., Any], namespace: str) -> KeyBuilder:
    """Tuple keys for in-process backends: built in a few hundred nanoseconds."""
    canonical = _canonical(_signature(fn))

    def build(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
        if not kwargs:
            return (namespace, args)  # @cached's fast path builds this same tuple inline
        positional, named = canonical(args, kwargs)
        return (namespace, positional, named) if named else (namespace, positional)

    return build


def string_key_builder(fn: Callable[..., Any], namespace: str) -> KeyBuilder:
    """``namespace:(args)`` strings for shared backends; long ones end in a digest."""
    canonical = _canonical(_signature(fn))

    def build(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
        positional, named = canonical(args, kwargs)
        text = stable_repr(positional, namespace)
        if named:
            text += stable_repr(dict(named), namespace)
        if len(text) > _MAX_KEY_CHARS:
            text = "#" + hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()
        return f"{namespace}{NAMESPACE_SEPARATOR}{text}"

    return build


def custom_key_builder(key: Callable[..., Any], namespace: str, *, as_text: bool) -> KeyBuilder:
    """The user's ``key=`` function, still inside the namespace."""

    def build(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
        made = key(*args, **kwargs)
        return f"{namespace}{NAMESPACE_SEPARATOR}{made}" if as_text else (namespace, made)

    return build
