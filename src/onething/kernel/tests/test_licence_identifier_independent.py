"""电子证照标识 against an independent ISO/IEC 7064 MOD 37,36 (``codes.licence_identifier``,
``codes.validate_licence_identifier``).

The check character is recomputed here from the standard's recursive definition of the hybrid
systems, without the closed form ``codes`` uses: if both agree on random identifiers, neither
carries a transcription error the other shares.
"""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.kernel import codes

PROPERTY = settings(derandomize=True, max_examples=150, deadline=None)

# ----------------------------------------------------------------- ISO/IEC 7064, hybrid system

#: MOD 37,36: M = 36, M + 1 = 37, over the 36 characters 0-9 A-Z (value = position)
M = 36
CHARACTERS = "".join(chr(c) for c in range(ord("0"), ord("9") + 1)) + "".join(
    chr(c) for c in range(ord("A"), ord("Z") + 1)
)


def _norm(x: int) -> int:
    """``||x||_M``: the remainder of x mod M, with M in place of 0."""
    r = x % M
    return r if r else M


def _p(string: str) -> int:
    """P after the characters of ``string``, read left to right (a_n down to a_2).

    P_{n+1} = M;  S_j = (P_{j+1} mod (M+1)) + a_j;  P_j = (2 * ||S_j||_M) mod (M+1).
    """
    if not string:
        return M
    s = _p(string[:-1]) % (M + 1) + CHARACTERS.index(string[-1])
    return (2 * _norm(s)) % (M + 1)


def _s1_is_one(p2: int, check: str) -> bool:
    """The standard's condition on the last step: ||S_1||_M = 1, a_1 being the check character."""
    return _norm(p2 % (M + 1) + CHARACTERS.index(check)) == 1


def iso7064_valid(string_with_check: str) -> bool:
    """Whether a checked string a_n … a_1 satisfies the condition."""
    return _s1_is_one(_p(string_with_check[:-1]), string_with_check[-1])


def iso7064_check_char(payload: str) -> str:
    """The one character that makes ``payload + c`` satisfy the condition (found by trying all)."""
    p2 = _p(payload)
    found = [c for c in CHARACTERS if _s1_is_one(p2, c)]
    assert len(found) == 1, found
    return found[0]


# ----------------------------------------------------------------- identifiers

PREFIX = "1.2.156.3005.2."
EXAMPLE = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"


def _text(chars: str, n_min: int, n_max: int | None = None):
    return st.text(alphabet=chars, min_size=n_min, max_size=n_max or n_min)


alnum, digit = CHARACTERS, "0123456789"


parts = st.tuples(
    st.tuples(_text(alnum, 18), _text(digit, 3)).map("".join),  # type code: USCC-like + 3 digits
    _text(alnum, 18),  # issuer
    _text(alnum, 1, 20),  # serial
    st.integers(1, 999),  # version
)


def test_the_independent_check_agrees_with_the_domain_example():
    body = "".join(EXAMPLE.removeprefix(PREFIX).split(".")[:-1])
    assert body == "11100000000013338W01111430000006122244L20230000403001"
    assert iso7064_check_char(body) == "U"
    assert iso7064_valid(body + "U")
    assert codes.validate_licence_identifier(EXAMPLE) is None


def test_every_substitution_in_the_domain_example_is_rejected():
    body = EXAMPLE.removeprefix(PREFIX)[:-2]  # the four parts with their dots
    for position, original in enumerate(body):
        if original == ".":
            continue
        for replacement in CHARACTERS:
            if replacement != original:
                changed = PREFIX + body[:position] + replacement + body[position + 1 :] + ".U"
                assert codes.validate_licence_identifier(changed) is not None, changed
                assert not iso7064_valid(changed.removeprefix(PREFIX).replace(".", ""))


@PROPERTY
@given(parts)
def test_built_identifiers_carry_the_independent_check_character(p):
    licence_type, issuer, serial, version = p
    identifier = codes.licence_identifier(licence_type, issuer, serial, version)
    assert identifier.startswith(PREFIX)
    fields = identifier.removeprefix(PREFIX).split(".")
    assert fields[:4] == [licence_type, issuer, serial, f"{version:03d}"]
    assert len(fields) == 5 and len(fields[4]) == 1
    assert fields[4] == iso7064_check_char(f"{licence_type}{issuer}{serial}{version:03d}")
    assert codes.validate_licence_identifier(identifier) is None


@PROPERTY
@given(parts, st.data())
def test_any_single_substitution_in_the_parts_is_rejected(p, data):
    identifier = codes.licence_identifier(*p)
    head = len(PREFIX)
    tail = len(identifier) - 2  # ".X": the check character stays
    positions = [i for i in range(head, tail) if identifier[i] != "."]
    position = data.draw(st.sampled_from(positions))
    replacement = data.draw(st.sampled_from(CHARACTERS.replace(identifier[position], "")))
    changed = identifier[:position] + replacement + identifier[position + 1 :]
    reason = codes.validate_licence_identifier(changed)
    assert reason is not None
    fields = changed.removeprefix(PREFIX).split(".")
    if fields[0][-3:].isdigit() and fields[3].isdigit():  # still the layout: the check must catch it
        assert reason == "证照标识校验码错误"
    assert not iso7064_valid("".join(fields))


# ----------------------------------------------------------------- a million of them


@pytest.mark.slow
def test_a_million_serials_give_a_million_valid_identifiers(capsys):
    licence_type, issuer = "11100000000013338W011", "11430000006122244L"
    sample = set(random.Random(2026).sample(range(1_000_000), 1000))
    kept: list[str] = []
    seen: set[str] = set()
    started = time.perf_counter()
    for n in range(1_000_000):
        identifier = codes.licence_identifier(licence_type, issuer, f"{2026:04d}{n:07d}")
        seen.add(identifier)
        if n in sample:
            kept.append(identifier)
    elapsed = time.perf_counter() - started
    assert len(seen) == 1_000_000
    assert len(kept) == 1000
    for identifier in kept:
        assert codes.validate_licence_identifier(identifier) is None
        assert iso7064_valid(identifier.removeprefix(PREFIX).replace(".", ""))
    with capsys.disabled():
        print(f"\n1,000,000 licence identifiers in {elapsed:.2f} s")
