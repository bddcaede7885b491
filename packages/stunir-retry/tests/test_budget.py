import pytest

from stunir.retry import InvalidArgumentError, RetryBudget, retry


def test_a_full_budget_allows_retries_until_half_is_spent() -> None:
    budget = RetryBudget(max_tokens=4, token_ratio=0.5)
    budget.record_failure()  # 3 tokens left: above half
    assert budget.try_retry()
    budget.record_failure()  # 2 left: not above half
    assert not budget.try_retry()
    budget.record_success()  # 2.5
    assert budget.try_retry()
    stats = budget.stats()
    assert (stats.tokens, stats.retries_allowed, stats.retries_refused) == (2.5, 2, 1)


def test_tokens_stay_within_zero_and_the_maximum() -> None:
    budget = RetryBudget(max_tokens=2, token_ratio=1)
    for _ in range(5):
        budget.record_success()
    assert budget.stats().tokens == 2
    for _ in range(5):
        budget.record_failure()
    assert budget.stats().tokens == 0


def test_a_shared_budget_stops_a_retry_storm_across_functions() -> None:
    budget = RetryBudget(max_tokens=10, token_ratio=0.1)
    attempts = 0

    def failing() -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError

    functions = [retry(max_attempts=10, budget=budget, backoff=None)(failing) for _ in range(5)]
    for fn in functions:
        with pytest.raises(ConnectionError):
            fn()
    # Without a budget: 50 attempts. With it, retries stop once 5 tokens are spent.
    assert attempts <= 10
    assert budget.stats().retries_refused >= 4
    assert functions[0].retry_policy.stats().budget_throttled >= 4  # type: ignore[attr-defined]


def test_successes_refill_the_budget() -> None:
    budget = RetryBudget(max_tokens=2, token_ratio=1)
    ok = retry(budget=budget, backoff=None)(lambda: 1)
    budget.record_failure()
    budget.record_failure()
    assert not budget.try_retry()
    ok()
    ok()
    assert budget.try_retry()


def test_the_budget_is_exact_under_threads(in_threads) -> None:
    budget = RetryBudget(max_tokens=100_000, token_ratio=1)

    def worker() -> None:
        for _ in range(2000):
            budget.record_failure()

    in_threads(worker, 8)
    assert budget.stats().tokens == 100_000 - 16_000


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_tokens": 0}, "max_tokens must be a finite number > 0, got 0"),
        ({"token_ratio": -1}, "token_ratio must be a finite number > 0, got -1"),
    ],
)
def test_bad_arguments_are_refused(options, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        RetryBudget(**options)


def test_repr() -> None:
    assert repr(RetryBudget(4, 0.5)) == "RetryBudget(max_tokens=4.0, token_ratio=0.5)"
