"""Switch retries to test mode: no real sleeping and/or fewer attempts, process-wide."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from stunir.retry._validation import at_least


@dataclass(frozen=True, slots=True)
class TestingOverrides:
    """What ``retry_testing`` changes; read by every policy on its failure path."""

    __test__ = False  # not a pytest test class

    sleep: bool
    max_attempts: int | None


# The active overrides, or None. A one-item list so policies read it without a global lookup.
ACTIVE: list[TestingOverrides | None] = [None]
_lock = threading.Lock()


@contextmanager
def retry_testing(*, sleep: bool = False, max_attempts: int | None = None) -> Iterator[None]:
    """Within the block, every policy skips its sleeps (unless ``sleep=True``) and makes at
    most ``max_attempts`` attempts per call. Nests; restores the previous mode on exit.

    Use it as a pytest fixture::

        @pytest.fixture(autouse=True)
        def fast_retries():
            with retry_testing():
                yield
    """
    if max_attempts is not None:
        at_least("max_attempts", max_attempts, 1)
    with _lock:
        previous = ACTIVE[0]
        ACTIVE[0] = TestingOverrides(sleep=sleep, max_attempts=max_attempts)
    try:
        yield
    finally:
        with _lock:
            ACTIVE[0] = previous
