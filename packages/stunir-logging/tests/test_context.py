"""log_context: scopes merge and restore exactly; threads and tasks never share fields."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from stunir.logging import get_context, log_context, propagate_context


def test_nested_scopes_merge_and_restore_exactly() -> None:
    assert dict(get_context()) == {}
    with log_context(request_id="r1", user="ann"):
        with log_context(user="bob", step=2):
            assert dict(get_context()) == {"request_id": "r1", "user": "bob", "step": 2}
        assert dict(get_context()) == {"request_id": "r1", "user": "ann"}
    assert dict(get_context()) == {}


def test_scope_is_restored_when_the_body_raises() -> None:
    with pytest.raises(KeyError), log_context(request_id="r1"):
        raise KeyError("boom")
    assert dict(get_context()) == {}


def test_the_returned_mapping_is_read_only() -> None:
    with log_context(a=1) as fields:
        with pytest.raises(TypeError):
            fields["a"] = 2  # type: ignore[index]
        assert get_context()["a"] == 1


def test_async_with_scopes_a_coroutine() -> None:
    async def main() -> dict[str, object]:
        async with log_context(job="sync"):
            await asyncio.sleep(0)
            return dict(get_context())

    assert asyncio.run(main()) == {"job": "sync"}
    assert dict(get_context()) == {}


def test_decorator_scopes_sync_and_coroutine_functions() -> None:
    @log_context(job="nightly")
    def work(x: int) -> tuple[int, dict[str, object]]:
        return x * 2, dict(get_context())

    @log_context(job="async")
    async def async_work(x: int) -> tuple[int, dict[str, object]]:
        await asyncio.sleep(0)
        return x + 1, dict(get_context())

    assert work(2) == (4, {"job": "nightly"})
    assert asyncio.run(async_work(1)) == (2, {"job": "async"})
    assert work.__name__ == "work"
    assert dict(get_context()) == {}


def test_one_instance_can_be_reentered() -> None:
    scope = log_context(depth=1)
    with scope, scope:
        assert get_context()["depth"] == 1
    assert dict(get_context()) == {}


def test_fifty_threads_never_see_each_others_fields() -> None:
    barrier = threading.Barrier(50)
    seen: dict[int, list[dict[str, object]]] = {}
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            snapshots = []
            assert dict(get_context()) == {}  # a new thread starts with no fields
            with log_context(worker=index):
                barrier.wait()
                for step in range(20):
                    with log_context(step=step):
                        snapshots.append(dict(get_context()))
            snapshots.append(dict(get_context()))
            seen[index] = snapshots
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    with log_context(main=True):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    for index, snapshots in seen.items():
        assert snapshots[:-1] == [{"worker": index, "step": step} for step in range(20)]
        assert snapshots[-1] == {}
    assert len(seen) == 50


def test_fifty_tasks_never_see_each_others_fields() -> None:
    async def task(index: int, started: asyncio.Event, go: asyncio.Event) -> list[object]:
        observed = []
        with log_context(task=index):
            started.set()
            await go.wait()
            for step in range(5):
                async with log_context(step=step):
                    await asyncio.sleep(0)
                    observed.append(dict(get_context()))
        observed.append(dict(get_context()))
        return observed

    async def main() -> list[list[object]]:
        go = asyncio.Event()
        with log_context(parent="main"):
            events = [asyncio.Event() for _ in range(50)]
            tasks = [asyncio.create_task(task(i, events[i], go)) for i in range(50)]
        for event in events:
            await event.wait()
        assert dict(get_context()) == {}  # nothing leaked back from the tasks
        go.set()
        return await asyncio.gather(*tasks)

    results = asyncio.run(main())
    for index, observed in enumerate(results):
        assert observed[:-1] == [
            {"parent": "main", "task": index, "step": step} for step in range(5)
        ]
        assert observed[-1] == {"parent": "main"}


def test_propagate_context_carries_fields_into_executor_threads() -> None:
    def read(tag: str) -> tuple[str, dict[str, object]]:
        with log_context(inside=tag):  # set in the worker: must not leak anywhere
            pass
        return tag, dict(get_context())

    with ThreadPoolExecutor(max_workers=4) as pool:
        with log_context(request_id="r9"):
            wrapped = propagate_context(read)
        plain = pool.submit(read, "plain").result()
        carried = [f.result() for f in [pool.submit(wrapped, str(i)) for i in range(8)]]
    assert plain == ("plain", {})
    assert carried == [(str(i), {"request_id": "r9"}) for i in range(8)]
    assert wrapped.__name__ == "read"


def test_propagate_context_isolates_concurrent_calls() -> None:
    barrier = threading.Barrier(8)

    def work(index: int) -> dict[str, object]:
        with log_context(index=index):
            barrier.wait()
            return dict(get_context())

    with log_context(request_id="shared"):
        wrapped = propagate_context(work)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(wrapped, range(8)))
    assert results == [{"request_id": "shared", "index": i} for i in range(8)]


def test_one_instance_shared_by_interleaved_tasks_restores_each_correctly() -> None:
    shared = log_context(tenant="acme")

    async def task(name: str, entered: asyncio.Event, other: asyncio.Event) -> object:
        with log_context(task=name):
            with shared:
                entered.set()
                await other.wait()
                inside = dict(get_context())
            return inside, dict(get_context())

    async def main() -> list[object]:
        a_in, b_in = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(task("a", a_in, b_in), task("b", b_in, a_in))

    (a_inside, a_after), (b_inside, b_after) = asyncio.run(main())  # type: ignore[misc]
    assert a_inside == {"task": "a", "tenant": "acme"}
    assert b_inside == {"task": "b", "tenant": "acme"}
    assert (a_after, b_after) == ({"task": "a"}, {"task": "b"})
