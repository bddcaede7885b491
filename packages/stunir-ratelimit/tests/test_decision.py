"""Decision: truthiness and the HTTP rate-limit header values."""

from __future__ import annotations

from stunir.ratelimit import Decision, TokenBucket


def test_an_admitted_decision_renders_ratelimit_headers_without_retry_after() -> None:
    decision = Decision(True, limit=50, remaining=49, retry_after=0.0, reset_after=0.1)
    assert decision
    assert decision.headers() == {
        "RateLimit-Limit": "50",
        "RateLimit-Remaining": "49",
        "RateLimit-Reset": "1",
    }


def test_a_refusal_adds_retry_after_rounded_up_to_whole_seconds() -> None:
    decision = Decision(False, limit=10, remaining=0, retry_after=2.0001, reset_after=9.5)
    assert not decision
    assert decision.headers() == {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "10",
        "Retry-After": "3",
    }


def test_retry_after_header_is_at_least_one_second(clock) -> None:
    bucket = TokenBucket(rate=1000, capacity=1, clock=clock)
    bucket.acquire()
    assert bucket.try_acquire().headers()["Retry-After"] == "1"
