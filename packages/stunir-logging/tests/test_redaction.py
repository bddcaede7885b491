"""Redactor: sensitive keys masked anywhere in the fields; the caller's data never mutated."""

from __future__ import annotations

import pytest

from stunir.logging import DEFAULT_SENSITIVE_KEYS, ConfigurationError, Redactor


def test_default_keys_match_case_insensitively_and_inside_longer_names() -> None:
    redactor = Redactor()
    for key in ("password", "PASSWORD", "db_password", "X-Auth-Token", "Authorization",
                "api-key", "client_secret", "Set-Cookie"):  # fmt: skip
        assert redactor.is_sensitive(key), key
    for key in ("user", "order_id", "path"):
        assert not redactor.is_sensitive(key), key
    assert "password" in DEFAULT_SENSITIVE_KEYS


def test_nested_mappings_and_lists_are_masked_without_mutation() -> None:
    original = {
        "user": "ann",
        "headers": {"Authorization": "Bearer abc", "Accept": "json"},
        "attempts": [{"token": "t1"}, {"token": "t2"}, "plain"],
        "tuple": ({"secret": 1},),
    }
    redacted = Redactor().redact(original)
    assert redacted == {
        "user": "ann",
        "headers": {"Authorization": "[REDACTED]", "Accept": "json"},
        "attempts": [{"token": "[REDACTED]"}, {"token": "[REDACTED]"}, "plain"],
        "tuple": [{"secret": "[REDACTED]"}],
    }
    assert original["headers"] == {"Authorization": "Bearer abc", "Accept": "json"}
    assert original["attempts"] == [{"token": "t1"}, {"token": "t2"}, "plain"]


def test_nothing_sensitive_returns_the_same_object() -> None:
    fields = {"a": 1, "b": [1, 2], "c": {"d": "e"}}
    assert Redactor().redact(fields) is fields


def test_a_whole_sensitive_subtree_is_replaced() -> None:
    assert Redactor().redact({"credentials": {"user": "u", "pw": "p"}}) == {
        "credentials": "[REDACTED]"
    }


def test_custom_keys_and_replacement() -> None:
    redactor = Redactor(["ssn", "card-number"], replacement="<hidden>")
    assert redactor.redact({"SSN": 1, "card_number": 2, "password": 3}) == {
        "SSN": "<hidden>",
        "card_number": "<hidden>",
        "password": 3,
    }


@pytest.mark.parametrize("keys", ["password", [], [""]])
def test_bad_key_lists_are_refused(keys: object) -> None:
    with pytest.raises(ConfigurationError, match="redact="):
        Redactor(keys)  # type: ignore[arg-type]
