"""RFC 8785 canonical JSON: the published vectors, and equality with an independent encoder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from stunir.logging import canonical_dumps, format_number

VECTORS = Path(__file__).parent / "data" / "rfc8785"
SAFE = 2**53 - 1


@pytest.mark.parametrize("name", sorted(p.name for p in (VECTORS / "input").glob("*.json")))
def test_rfc8785_vectors_are_reproduced_byte_for_byte(name: str) -> None:
    document = json.loads((VECTORS / "input" / name).read_text(encoding="utf-8"), parse_int=float)
    expected = (VECTORS / "output" / name).read_bytes()
    assert canonical_dumps(document).encode("utf-8") == expected


def test_all_six_vector_pairs_are_present() -> None:
    inputs = sorted(p.name for p in (VECTORS / "input").glob("*.json"))
    outputs = sorted(p.name for p in (VECTORS / "output").glob("*.json"))
    assert inputs == outputs
    assert len(inputs) == 6


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (1.5e-7, "1.5e-7"),
        (0.0001, "0.0001"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e16, "10000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (-1.2345e25, "-1.2345e+25"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (333333333.33333329, "333333333.3333333"),
        (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_numbers_are_written_as_ecmascript_writes_them(value: float, expected: str) -> None:
    assert format_number(value) == expected
    assert canonical_dumps(value) == expected


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_format_number_refuses_what_json_has_no_number_for(value: float) -> None:
    with pytest.raises(ValueError, match="no JSON number form"):
        format_number(value)


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is D83D DE00 in UTF-16: it sorts before U+FFFF there, after it by code point.
    assert canonical_dumps({"\uffff": 1, "\U0001f600": 2, "a": 3}) == '{"a":3,"😀":2,"\uffff":1}'


def test_strings_use_minimal_escaping() -> None:
    text = 'quote" backslash\\ nl\n tab\t bell\x07 del\x7f slash/ euro€ ls\u2028'
    assert canonical_dumps(text) == (
        '"quote\\" backslash\\\\ nl\\n tab\\t bell\\u0007 del\x7f slash/ euro€ ls\u2028"'
    )


def test_no_whitespace_between_tokens() -> None:
    assert canonical_dumps({"b": [1, {"c": None}], "a": True}) == '{"a":true,"b":[1,{"c":null}]}'


def test_lone_surrogates_become_replacement_characters() -> None:
    out = canonical_dumps({"k\ud800": "v\udfff", "pair": "\ud83d\ude00"})
    assert out == '{"k\ufffd":"v\ufffd","pair":"😀"}'
    out.encode("utf-8")  # valid UTF-8


def test_a_cycle_is_written_as_a_marker_never_a_recursion_error() -> None:
    looped: list[object] = [1]
    looped.append(looped)
    mapping: dict[str, object] = {}
    mapping["self"] = mapping
    assert canonical_dumps(looped) == '[1,"<cycle>"]'
    assert canonical_dumps(mapping) == '{"self":"<cycle>"}'


def test_the_same_list_twice_is_not_a_cycle() -> None:
    shared = [1, 2]
    assert canonical_dumps([shared, shared]) == "[[1,2],[1,2]]"


def test_deep_nesting_is_cut_with_a_marker() -> None:
    deep: list[object] = []
    for _ in range(200):
        deep = [deep]
    assert canonical_dumps(deep).count("<max depth>") == 1


# An independent implementation (the rfc8785 package) must agree on generated documents.
keys = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8
)  # astral-plane keys included; lone surrogates are ours to repair, not comparable
floats = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [-0.0, 1e-7, 1e21, 1e-6, 1e20, 5e-324, 1.7976931348623157e308, 0.1, 1e16, 123e-20]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE, max_value=SAFE)
    | floats
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300)
@given(documents)
def test_output_equals_an_independent_rfc8785_implementation(document: object) -> None:
    assert canonical_dumps(document).encode("utf-8") == rfc8785.dumps(document)


@settings(max_examples=200)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_floats_across_magnitudes_match_the_independent_implementation(value: float) -> None:
    assert canonical_dumps(value).encode() == rfc8785.dumps(value)


@settings(max_examples=100)
@given(st.integers().filter(lambda n: abs(n) > SAFE))
def test_integers_beyond_2_53_are_written_as_exact_decimal_strings(value: int) -> None:
    assert canonical_dumps(value).encode() == rfc8785.dumps(str(value))


# Keys mixing the ranges where UTF-16 order and code-point order disagree.
tricky_keys = st.text(
    alphabet=st.sampled_from(["a", "Z", "\u00e9", "\u20ac", "\ue000", "\uffff", "\U00010000",
                              "\U0001f600", "\U0010ffff", "\x00", "\n"]),
    max_size=4,
)  # fmt: skip


@settings(max_examples=200)
@given(st.dictionaries(tricky_keys, st.integers(-10, 10) | floats, max_size=8))
def test_astral_and_private_use_keys_sort_as_the_independent_implementation(
    mapping: dict[str, object],
) -> None:
    assert canonical_dumps(mapping).encode() == rfc8785.dumps(mapping)


@settings(max_examples=100)
@given(st.dictionaries(st.text(max_size=6), st.integers(-10, 10), max_size=6))
def test_key_order_matches_for_astral_and_bmp_keys(mapping: dict[str, int]) -> None:
    mapping = {key.encode("utf-16", "surrogatepass").decode("utf-16", "replace"): v
               for key, v in mapping.items()}  # fmt: skip
    assert canonical_dumps(mapping).encode() == rfc8785.dumps(mapping)


@settings(max_examples=100)
@given(documents)
def test_output_parses_back_to_the_same_document(document: object) -> None:
    assert json.loads(canonical_dumps(document), parse_int=float) == _normalized(document)


def _normalized(value: object) -> object:
    if isinstance(value, float) and value == 0:
        return 0
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalized(item) for key, item in value.items()}
    return value
