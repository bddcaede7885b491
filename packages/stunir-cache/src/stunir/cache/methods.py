"""@cached on methods: ``obj.method.invalidate(x)`` knows which ``obj`` it is about."""

from __future__ import annotations

import functools
from typing import Any

_SHARED = ("cache_clear", "cache_info", "stats", "backend", "namespace")


class BoundCached(functools.partial[Any]):
    """A cached method bound to its instance: calls and controls pass the instance first.

    A ``functools.partial`` underneath, so a call costs no more than a bound method's.
    """

    def _control(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return getattr(self.func, name)(*self.args, *args, **kwargs)

    def invalidate(self, *args: Any, **kwargs: Any) -> Any:
        return self._control("invalidate", args, kwargs)

    def refresh(self, *args: Any, **kwargs: Any) -> Any:
        return self._control("refresh", args, kwargs)

    def cache_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._control("cache_key", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in _SHARED:
            return getattr(self.func, name)
        raise AttributeError(name)


class CachedMethod:
    """The class attribute ``@cached`` leaves on a method whose first parameter is ``self``."""

    def __init__(self, wrapper: Any) -> None:
        self._wrapper = wrapper
        functools.update_wrapper(self, wrapper)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._wrapper(*args, **kwargs)

    def __get__(self, instance: object, owner: type[Any] | None = None) -> Any:
        if instance is None:
            return self
        return BoundCached(self._wrapper, instance)

    def __repr__(self) -> str:
        return f"<cached method {self._wrapper.__qualname__}>"
