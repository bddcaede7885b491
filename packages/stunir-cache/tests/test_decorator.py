import asyncio
import enum
import threading

import pytest

from stunir.cache import (
    MISSING,
    CacheConfigError,
    CacheKeyError,
    FileBackend,
    MemoryBackend,
    RedisBackend,
    SerializationError,
    TieredCache,
    cached,
)


class Counter:
    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def bump(self) -> int:
        with self.lock:
            self.calls += 1
            return self.calls


def test_results_are_cached_per_arguments() -> None:
    runs = Counter()

    @cached(backend=MemoryBackend(maxsize=100), ttl=300)
    def square(x: int) -> int:
        runs.bump()
        return x * x

    assert square(3) == 9
    assert square(3) == 9
    assert square(4) == 16
    assert runs.calls == 2
    info = square.cache_info()
    assert (info.hits, info.misses) == (1, 2)
    assert square.stats() == info


def test_keyword_order_and_positional_form_give_one_key() -> None:
    runs = Counter()

    @cached()
    def area(width: int, height: int = 1, *, unit: str = "m") -> str:
        runs.bump()
        return f"{width * height}{unit}"

    assert area(2, 3, unit="cm") == "6cm"
    assert area(height=3, width=2, unit="cm") == "6cm"
    assert area(2, height=3, unit="cm") == "6cm"
    assert runs.calls == 1
    assert area.cache_key(2, 3, unit="cm") == area.cache_key(unit="cm", height=3, width=2)
    assert area(2) == area(width=2) == "2m"
    assert runs.calls == 2
    assert area.cache_key(2) == area.cache_key(width=2)


def test_keyword_calls_share_entries_with_positional_calls_on_string_keys(tmp_path) -> None:
    runs = Counter()

    @cached(backend=FileBackend(tmp_path))
    def area(width: int, height: int = 1) -> int:
        runs.bump()
        return width * height

    assert area(2) == area(width=2) == 2
    assert area(2, 3) == area(height=3, width=2) == 6
    assert runs.calls == 2


def test_none_results_are_cached_and_exceptions_are_not() -> None:
    runs = Counter()

    @cached()
    def flaky(x: int) -> None:
        if runs.bump() == 1:
            raise ValueError("first call fails")

    with pytest.raises(ValueError, match="first call"):
        flaky(1)
    assert flaky(1) is None
    assert flaky(1) is None
    assert runs.calls == 2


def test_unless_skips_storing_chosen_results() -> None:
    runs = Counter()

    @cached(unless=lambda result: result == [])
    def search(query: str) -> list[str]:
        runs.bump()
        return [] if query == "none" else [query]

    search("none")
    search("none")
    search("x")
    search("x")
    assert runs.calls == 3


def test_ttl_expiry_in_virtual_time(clock) -> None:
    runs = Counter()

    @cached(backend=MemoryBackend(clock=clock), ttl=10)
    def load(x: int) -> int:
        return runs.bump()

    assert load(1) == 1
    clock.advance(9)
    assert load(1) == 1
    clock.advance(1)
    assert load(1) == 2


def test_invalidate_refresh_and_cache_clear() -> None:
    runs = Counter()

    @cached()
    def load(x: int) -> int:
        return runs.bump()

    load(1)
    load(2)
    assert load.invalidate(1) is True
    assert load.invalidate(1) is False
    assert load(1) == 3
    assert load.refresh(2) == 4
    assert load(2) == 4
    load.cache_clear()
    assert load(2) == 5


def test_custom_key_functions_and_namespaces_on_a_shared_backend(tmp_path) -> None:
    shared = FileBackend(tmp_path)

    @cached(backend=shared, key=lambda user: user["id"], namespace="users")
    def profile(user: dict[str, int]) -> str:
        return f"profile {user['id']}"

    @cached(backend=shared, namespace="posts")
    def posts(user_id: int) -> str:
        return f"posts {user_id}"

    assert profile({"id": 7, "noise": 1}) == "profile 7"
    assert shared.get("users:7") == "profile 7"
    assert posts(7) == "posts 7"
    assert shared.get("posts:(7)") == "posts 7"


def test_methods_key_on_the_instance() -> None:
    runs = Counter()

    class Repo:
        def __init__(self, name: str) -> None:
            self.name = name

        @cached()
        def find(self, x: int) -> str:
            runs.bump()
            return f"{self.name}:{x}"

    one, two = Repo("one"), Repo("two")
    assert one.find(1) == "one:1"
    assert two.find(1) == "two:1"
    assert one.find(1) == "one:1"
    assert runs.calls == 2
    assert Repo.find.invalidate(one, 1) is True
    assert one.find(1) == "one:1"
    assert runs.calls == 3
    assert one.find.invalidate(1) is True  # bound: knows which instance
    assert two.find.cache_key(1) != one.find.cache_key(1)
    assert two.find(1) == "two:1"
    assert runs.calls == 3
    assert one.find.refresh(1) == "one:1"
    assert runs.calls == 4
    assert one.find.stats() == Repo.find.stats()
    assert Repo.find.__name__ == "find"
    with pytest.raises(AttributeError):
        one.find.nothing  # noqa: B018


def test_async_methods_bind_their_controls_too() -> None:
    runs = Counter()

    class Client:
        @cached()
        async def get(self, path: str) -> str:
            runs.bump()
            return path

    async def scenario() -> None:
        client = Client()
        assert await client.get("/a") == "/a"
        assert await client.get("/a") == "/a"
        assert await client.get.invalidate("/a") is True
        assert await client.get("/a") == "/a"

    asyncio.run(scenario())
    assert runs.calls == 2


class Color(enum.Enum):
    RED = "red"


class Account:
    def __init__(self, number: int) -> None:
        self.number = number

    def __cache_key__(self) -> int:
        return self.number


def test_string_keys_are_stable_and_refuse_objects_without_one(tmp_path) -> None:
    @cached(backend=FileBackend(tmp_path), namespace="ns")
    def describe(*args: object, **kwargs: object) -> str:
        return "x"

    key = describe.cache_key(1, "a", None, 2.5, b"b", (1,), [2], {3}, {"k": Color.RED}, Account(9))
    assert key == "ns:(1,'a',None,2.5,b'b',(1),[2],{3},{'k':Color.RED},Account(9))"
    assert describe.cache_key(b=1, a=2) == describe.cache_key(a=2, b=1)
    long_key = describe.cache_key("x" * 500)
    assert isinstance(long_key, str)
    assert len(long_key) < 60
    with pytest.raises(CacheKeyError, match="__cache_key__") as info:
        describe(object())
    assert info.value.value_type == "builtins.object"


def test_unserializable_results_are_refused_clearly(tmp_path) -> None:
    @cached(backend=FileBackend(tmp_path))
    def make() -> object:
        return object()

    with pytest.raises(SerializationError, match="object"):
        make()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"ttl": -1}, "ttl"),
        ({"backend": {}}, "backend"),
        ({"key": "not callable"}, "key"),
        ({"unless": 3}, "unless"),
        ({"namespace": ""}, "namespace"),
        ({"namespace": "users:v2"}, "namespace"),
        ({"namespace": 7}, "namespace"),
        ({"stale_ttl": 5}, "ttl"),
        ({"early_refresh": 1.0}, "ttl"),
        ({"early_refresh": -1.0, "ttl": 5}, "early_refresh"),
        ({"lease": "yes"}, "lease"),
        ({"lease": True}, "lease"),
        ({"lease_ttl": 0}, "lease_ttl"),
    ],
)
def test_bad_arguments_are_refused_at_decoration(kwargs, name) -> None:
    with pytest.raises(CacheConfigError) as info:
        cached(**kwargs)(lambda: 1)
    assert info.value.name == name


def test_hundred_threads_missing_one_key_compute_once() -> None:
    runs = Counter()
    gate = threading.Event()

    @cached()
    def slow(x: int) -> int:
        runs.bump()
        gate.wait(5)
        return x

    start = threading.Barrier(101)
    results: list[int] = []

    def call() -> None:
        start.wait()
        results.append(slow(1))

    threads = [threading.Thread(target=call) for _ in range(100)]
    for thread in threads:
        thread.start()
    start.wait()
    while slow.stats().misses < 1:
        pass
    gate.set()
    for thread in threads:
        thread.join()
    assert runs.calls == 1
    assert results == [1] * 100


def test_waiters_share_the_leaders_exception_and_nothing_is_cached() -> None:
    runs = Counter()
    gate = threading.Event()

    @cached()
    def broken() -> int:
        runs.bump()
        gate.wait(5)
        raise RuntimeError("boom")

    errors: list[BaseException] = []

    def call() -> None:
        try:
            broken()
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    while broken.stats().misses < 10:
        pass
    gate.set()
    for thread in threads:
        thread.join()
    assert len(errors) == 10
    # Each computation's exception went to every caller of that flight. (A thread that missed
    # but reached the flight only after the leader failed leads a flight of its own.)
    assert len({id(error) for error in errors}) == runs.calls < 10
    assert broken.backend.stats().size == 0


def test_hundred_tasks_missing_one_key_compute_once() -> None:
    runs = Counter()

    @cached()
    async def fetch(x: int) -> int:
        runs.bump()
        await asyncio.sleep(0)
        return x * 2

    async def scenario() -> list[int]:
        return await asyncio.gather(*(fetch(21) for _ in range(100)))

    assert asyncio.run(scenario()) == [42] * 100
    assert runs.calls == 1


def test_async_functions_have_async_controls() -> None:
    runs = Counter()

    @cached(ttl=60)
    async def fetch(x: int) -> int:
        return runs.bump()

    async def scenario() -> None:
        assert await fetch(1) == 1
        assert await fetch(1) == 1
        assert await fetch.invalidate(1) is True
        assert await fetch(1) == 2
        assert await fetch.refresh(1) == 3
        await fetch.cache_clear()
        assert await fetch(1) == 4

    asyncio.run(scenario())


def test_a_cancelled_leader_hands_the_work_to_a_waiter() -> None:
    runs = Counter()

    @cached()
    async def fetch() -> int:
        number = runs.bump()
        if number == 1:
            await asyncio.sleep(3600)
        return number

    async def scenario() -> None:
        leader = asyncio.create_task(fetch())
        await asyncio.sleep(0)
        waiter = asyncio.create_task(fetch())
        await asyncio.sleep(0)
        leader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leader
        assert await waiter == 2

    asyncio.run(scenario())


def test_stale_values_are_served_while_one_caller_refreshes(clock) -> None:
    runs = Counter()

    @cached(backend=MemoryBackend(clock=clock), ttl=10, stale_ttl=5, clock=clock)
    def load() -> int:
        return runs.bump()

    assert load() == 1
    clock.advance(11)  # stale, within the window: this caller refreshes
    assert load() == 2
    clock.advance(16)  # past ttl + stale_ttl: a plain miss
    assert load() == 3


def test_stale_value_goes_to_callers_arriving_during_the_refresh(clock) -> None:
    runs = Counter()
    inside = threading.Event()
    gate = threading.Event()

    @cached(backend=MemoryBackend(clock=clock), ttl=10, stale_ttl=5, clock=clock)
    def load() -> int:
        number = runs.bump()
        if number == 2:
            inside.set()
            gate.wait(5)
        return number

    assert load() == 1
    clock.advance(11)
    refresher = threading.Thread(target=load)
    refresher.start()
    inside.wait(5)
    assert load() == 1  # stale, without waiting
    gate.set()
    refresher.join()
    assert load() == 2


def test_early_refresh_recomputes_before_expiry_when_the_dice_say_so(clock) -> None:
    runs = Counter()
    dice = [0.0]

    @cached(
        backend=MemoryBackend(clock=clock),
        ttl=100,
        early_refresh=1.0,
        clock=clock,
        rng=lambda: dice[0],
    )
    def load() -> int:
        clock.advance(2)  # the computation takes 2 s
        return runs.bump()

    assert load() == 1
    clock.advance(90)  # 8 s left; with rng 0 the XFetch gap is 0: no refresh
    assert load() == 1
    dice[0] = 0.999  # gap = 2 * -ln(0.001) = 13.8 s > 8 s left: refresh now
    assert load() == 2


def test_redis_lease_lets_one_host_compute(redis_url) -> None:
    runs = Counter()
    gate = threading.Event()
    hosts = [RedisBackend(redis_url), RedisBackend(redis_url)]
    functions = []
    for backend in hosts:

        @cached(backend=backend, ttl=60, namespace="report", lease_ttl=10)
        def report(day: int) -> str:
            runs.bump()
            gate.wait(5)
            return f"report {day}"

        functions.append(report)
    results: list[str] = []
    threads = [threading.Thread(target=lambda f=f: results.append(f(1))) for f in functions]
    threads[0].start()
    while runs.calls == 0:
        pass
    threads[1].start()
    gate.set()
    for thread in threads:
        thread.join()
    assert results == ["report 1", "report 1"]
    assert runs.calls == 1
    for backend in hosts:
        backend.close()


def test_async_redis_lease_and_cache(redis_url) -> None:
    runs = Counter()
    # A generous timeout: on a loaded CI machine one slow reply would open the outage breaker
    # and every caller would compute, which is right for production but not what this tests.
    backend = RedisBackend(redis_url, socket_timeout=5.0)

    @cached(backend=backend, ttl=60)
    async def fetch(x: int) -> dict[str, int]:
        runs.bump()
        await asyncio.sleep(0)
        return {"x": x}

    async def scenario() -> None:
        results = await asyncio.gather(*(fetch(1) for _ in range(20)))
        assert results == [{"x": 1}] * 20
        assert await fetch(1) == {"x": 1}
        await backend.aclose()

    asyncio.run(scenario())
    assert runs.calls == 1
    assert backend.get(fetch.cache_key(1)) == {"x": 1}
    assert backend.get(fetch.cache_key(1), MISSING) is not MISSING
    backend.close()


def test_a_dead_redis_means_every_call_computes_then_caching_resumes(
    redis_server_factory, clock
) -> None:
    server = redis_server_factory()
    backend = RedisBackend(server.url, retry_after=5, clock=clock)
    server.stop()
    runs = Counter()

    @cached(backend=backend, ttl=60)
    def load(x: int) -> int:
        return runs.bump()

    assert load(1) == 1
    assert load(1) == 2
    server.start()
    clock.advance(5)
    assert load(1) == 3  # Redis answers again: this result is stored
    assert load(1) == 3
    backend.close()


def test_async_lease_makes_the_second_host_wait_for_the_first(redis_url) -> None:
    runs = Counter()
    hosts = [RedisBackend(redis_url), RedisBackend(redis_url)]

    def make(backend: RedisBackend, entered: asyncio.Event, gate: asyncio.Event):
        @cached(backend=backend, ttl=60, namespace="async-report", lease_ttl=5)
        async def report(day: int) -> str:
            runs.bump()
            entered.set()
            await gate.wait()
            return f"report {day}"

        return report

    async def scenario() -> list[str]:
        entered, gate = asyncio.Event(), asyncio.Event()
        first, second = (make(backend, entered, gate) for backend in hosts)
        leader = asyncio.create_task(first(1))
        await entered.wait()  # the first host holds the lease and computes
        follower = asyncio.create_task(second(1))
        await asyncio.sleep(0.01)
        gate.set()
        results = [await leader, await follower]
        for backend in hosts:
            await backend.aclose()
        return results

    assert asyncio.run(scenario()) == ["report 1", "report 1"]
    assert runs.calls == 1
    for backend in hosts:
        backend.close()


def test_async_stale_and_early_refresh(clock) -> None:
    runs = Counter()

    @cached(backend=MemoryBackend(clock=clock), ttl=10, stale_ttl=5, clock=clock)
    async def stale() -> int:
        return runs.bump()

    @cached(
        backend=MemoryBackend(clock=clock),
        ttl=100,
        early_refresh=1.0,
        clock=clock,
        rng=lambda: 0.999,
    )
    async def early() -> int:
        clock.advance(2)
        return runs.bump()

    async def scenario() -> None:
        assert await stale() == 1
        clock.advance(11)
        assert await stale() == 2  # stale: this caller refreshed
        assert await early() == 3
        clock.advance(90)
        assert await early() == 4  # close to expiry with the dice high: refreshed early

    asyncio.run(scenario())


def test_entries_written_without_the_envelope_are_recomputed_not_misread(clock) -> None:
    shared = MemoryBackend(clock=clock)
    runs = Counter()

    @cached(backend=shared, namespace="n", ttl=10)
    def plain() -> list[object]:
        return ["a", "b", "c"]  # a three-item list, like the envelope

    @cached(backend=shared, namespace="n", ttl=10, stale_ttl=5, clock=clock)
    def enveloped() -> str:
        runs.bump()
        return "fresh"

    assert plain() == ["a", "b", "c"]
    assert enveloped() == "fresh"
    assert runs.calls == 1


def test_a_stale_value_is_refreshed_by_one_host_only(redis_url, clock) -> None:
    runs = Counter()
    hosts = [RedisBackend(redis_url), RedisBackend(redis_url)]
    functions = []
    for backend in hosts:

        @cached(backend=backend, ttl=10, stale_ttl=60, namespace="home", clock=clock)
        def home() -> int:
            return runs.bump()

        functions.append(home)
    first, second = functions
    assert first() == 1
    clock.advance(11)  # stale everywhere
    token = hosts[0].acquire_lease(first.cache_key(), ttl=30)  # host one is refreshing
    assert token is not None
    assert second() == 1  # host two keeps serving the stale value
    assert runs.calls == 1
    hosts[0].release_lease(first.cache_key(), token)
    assert second() == 2  # the lease is free: host two refreshes
    for backend in hosts:
        backend.close()


def test_bare_decorator_uses_every_default() -> None:
    runs = Counter()

    @cached
    def plain(x: int) -> int:
        runs.bump()
        return x

    @cached
    async def coroutine(x: int) -> int:
        runs.bump()
        return x

    assert plain(1) == plain(1) == 1
    assert asyncio.run(coroutine(2)) == 2
    assert asyncio.run(coroutine(2)) == 2
    assert runs.calls == 2
    with pytest.raises(CacheConfigError, match="fn"):
        cached(42)  # type: ignore[call-overload]


@pytest.fixture(params=["memory", "file", "redis", "tiered-redis", "tiered-file"])
def shared_backend(request, tmp_path):
    """One backend of each kind, for functions that share it."""
    kind = request.param
    if kind == "memory":
        yield MemoryBackend()
        return
    if kind in ("file", "tiered-file"):
        backend = FileBackend(tmp_path)
        yield backend if kind == "file" else TieredCache(MemoryBackend(), backend)
        return
    redis_backend = RedisBackend(request.getfixturevalue("redis_url"))
    if kind == "redis":
        yield redis_backend
    else:
        tiered = TieredCache(MemoryBackend(), redis_backend)
        yield tiered
        tiered.close()
    redis_backend.close()


def test_cache_clear_leaves_the_other_functions_on_a_shared_backend(shared_backend) -> None:
    runs = Counter()

    @cached(backend=shared_backend, namespace="users")
    def user(x: int) -> int:
        return runs.bump()

    @cached(backend=shared_backend, namespace="users2", key=lambda x: f"id{x}")
    def user2(x: int) -> int:
        return runs.bump()

    @cached(backend=shared_backend)  # the default namespace: module.qualname
    def report(x: int) -> int:
        return runs.bump()

    first = [user(1), user(2), user2(1), report(1)]
    assert first == [1, 2, 3, 4]
    user.cache_clear()
    assert [user2(1), report(1)] == [3, 4]  # still cached
    assert user(1) == 5
    report.cache_clear()
    assert [user(1), user2(1), report(1)] == [5, 3, 6]
    assert shared_backend.stats().deletes >= 3


def test_async_cache_clear_leaves_the_other_functions_on_a_shared_backend(shared_backend):
    runs = Counter()

    @cached(backend=shared_backend, namespace="a")
    async def first(x: int) -> int:
        return runs.bump()

    @cached(backend=shared_backend, namespace="b")
    async def second(x: int) -> int:
        return runs.bump()

    async def scenario() -> list[int]:
        seen = [await first(1), await second(1)]
        await first.cache_clear()
        seen += [await second(1), await first(1)]
        tier = getattr(shared_backend, "l2", shared_backend)
        if isinstance(tier, RedisBackend):
            await tier.aclose()
        return seen

    assert asyncio.run(scenario()) == [1, 2, 2, 3]


def test_cache_clear_of_a_method_clears_every_instance_and_only_that_method() -> None:
    runs = Counter()
    shared = MemoryBackend()

    class Repo:
        @cached(backend=shared)
        def load(self, x: int) -> int:
            return runs.bump()

        @cached(backend=shared)
        def count(self) -> int:
            return runs.bump()

    one, two = Repo(), Repo()
    assert [one.load(1), two.load(1), one.count()] == [1, 2, 3]
    one.load.cache_clear()
    assert [one.count(), one.load(1), two.load(1)] == [3, 4, 5]
