import asyncio
import threading

import pytest

from stunir.cache import MISSING, AsyncSingleFlight, SingleFlight


def test_one_leader_runs_and_waiters_share_its_result() -> None:
    flight = SingleFlight()
    gate = threading.Event()
    runs: list[int] = []

    def work() -> str:
        runs.append(1)
        gate.wait(5)
        return "done"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(flight.do("k", work))) for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    while flight.in_flight() == 0:
        pass
    gate.set()
    for thread in threads:
        thread.join()
    assert runs == [1] or len(runs) <= 20  # late arrivals may lead a new flight
    assert results == ["done"] * 20
    assert flight.in_flight() == 0


def test_do_or_skip_does_not_wait_for_a_flight_in_progress() -> None:
    flight = SingleFlight()
    inside, gate = threading.Event(), threading.Event()

    def slow() -> int:
        inside.set()
        gate.wait(5)
        return 1

    leader = threading.Thread(target=lambda: flight.do("k", slow))
    leader.start()
    inside.wait(5)
    assert flight.do_or_skip("k", lambda: 2) is MISSING
    gate.set()
    leader.join()
    assert flight.do_or_skip("k", lambda: 3) == 3


def test_an_interrupted_leader_lets_a_waiter_run_the_work() -> None:
    flight = SingleFlight()
    inside, gate = threading.Event(), threading.Event()

    def interrupted() -> int:
        inside.set()
        gate.wait(5)
        raise KeyboardInterrupt

    def leader() -> None:
        with pytest.raises(KeyboardInterrupt):
            flight.do("k", interrupted)

    first = threading.Thread(target=leader)
    first.start()
    inside.wait(5)
    results: list[int] = []
    second = threading.Thread(target=lambda: results.append(flight.do("k", lambda: 7)))
    second.start()
    gate.set()
    first.join()
    second.join()
    assert results == [7]


def test_async_flights_are_per_event_loop_and_share_exceptions() -> None:
    flight = AsyncSingleFlight()
    runs: list[int] = []

    async def failing() -> int:
        runs.append(1)
        await asyncio.sleep(0)
        raise LookupError("nope")

    async def scenario() -> None:
        results = await asyncio.gather(
            *(flight.do("k", failing) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, LookupError) for r in results)
        assert await flight.do_or_skip("k", lambda: asyncio.sleep(0, "x")) == "x"

    asyncio.run(scenario())
    asyncio.run(scenario())
    assert runs == [1, 1]
