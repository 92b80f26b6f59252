"""W3C Bitstring Status List v1.0 (``kernel.statuslist``): bit order, the ``encodedList`` form,
refusal of anything that is not one, and random index allocation.

A wrong bit order or encoding would make every verifier read another credential's status;
a decoder without a cap would let one published list exhaust a verifier's memory.
"""

from __future__ import annotations

import base64
import gzip
import random
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.kernel import statuslist
from onething.kernel.statuslist import MIN_SIZE, Bitstring, allocate, decode, encode

PROPERTY = settings(derandomize=True, max_examples=60, deadline=None)

#: the ``encodedList`` of the spec's examples: 131,072 bits, none set
SPEC_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
#: a published test vector of another implementation: 131,072 bits, only index 1 set
INDEX_1_SET = "uH4sIAAAAAAAA_-3AsQAAAAACsNDypwqjZ2sAAAAAAAAAAAAAAAAAAACAtwE3F1_NAEAAAA"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64decode(encoded: str) -> bytes:
    body = encoded.removeprefix("u")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


# ----------------------------------------------------------------- the bitstring


def test_index_0_is_the_top_bit_of_byte_0():
    bits = Bitstring(16)
    bits.set(0, True)
    assert bits.to_bytes() == b"\x80\x00"
    bits.set(15, True)
    assert bits.to_bytes() == b"\x80\x01"
    bits.set(0, False)
    assert bits.to_bytes() == b"\x00\x01"
    assert gzip.decompress(b64decode(encode(bits))) == b"\x00\x01"


def test_get_set_len_count():
    bits = Bitstring()
    assert len(bits) == MIN_SIZE == 131072
    assert len(bits.to_bytes()) == 16 * 1024
    assert bits.count() == 0
    for i in (0, 7, 8, 12345, MIN_SIZE - 1):
        bits.set(i, True)
    bits.set(7, True)  # setting twice is idempotent
    assert bits.count() == 5
    assert bits.get(12345) and not bits.get(12346)
    assert Bitstring(8, b"\xff").count() == 8


@pytest.mark.parametrize("index", [-1, 8, 100, True])
def test_out_of_range_index_is_refused(index):
    bits = Bitstring(8)
    with pytest.raises(IndexError):
        bits.get(index)
    with pytest.raises(IndexError):
        bits.set(index, True)


@pytest.mark.parametrize("size", [0, -8, 7, 12, 8.0])
def test_size_must_be_a_positive_multiple_of_8(size):
    with pytest.raises(ValueError):
        Bitstring(size)


def test_data_must_match_the_size():
    with pytest.raises(ValueError):
        Bitstring(16, b"\x00")
    assert Bitstring.from_bytes(b"\x01\x02").to_bytes() == b"\x01\x02"


def test_the_bitstring_keeps_its_own_copy():
    data = bytearray(b"\x00")
    bits = Bitstring(8, data)
    data[0] = 0xFF
    assert bits.count() == 0
    bits.to_bytes()  # a copy too: bytes are immutable


# ----------------------------------------------------------------- encodedList


def test_example_vector_computed_by_hand():
    # bits 0, 9 and 22 of 24: 1000_0000 0100_0000 0000_0010
    bits = Bitstring(24)
    for i in (0, 9, 22):
        bits.set(i, True)
    raw = bytes([0b1000_0000, 0b0100_0000, 0b0000_0010])
    assert bits.to_bytes() == raw
    expected = "u" + b64url(gzip.compress(raw, compresslevel=6, mtime=0))
    assert encode(bits) == expected
    assert "=" not in expected and "+" not in expected and "/" not in expected
    assert decode(expected) == bits


def test_encoding_is_deterministic():
    bits = Bitstring()
    bits.set(94567, True)
    assert encode(bits) == encode(bits)


def test_decodes_the_spec_example():
    bits = decode(SPEC_EMPTY_LIST)
    assert len(bits) == MIN_SIZE and bits.count() == 0


def test_decodes_a_published_vector_with_the_same_bit_order():
    bits = decode(INDEX_1_SET)
    assert len(bits) == MIN_SIZE and bits.count() == 1 and bits.get(1)
    assert bits.to_bytes()[0] == 0x40


@PROPERTY
@given(
    size=st.sampled_from([8, 64, 1024, MIN_SIZE]),
    data=st.data(),
)
def test_round_trip(size, data):
    indices = data.draw(st.sets(st.integers(0, size - 1), max_size=300))
    bits = Bitstring(size)
    for i in indices:
        bits.set(i, True)
    encoded = encode(bits)
    assert encoded.startswith("u")
    back = decode(encoded)
    assert back == bits and len(back) == size and back.count() == len(indices)
    if size <= 1024:
        assert {i for i in range(size) if back.get(i)} == indices


def test_a_sparse_large_list_compresses_well():
    size = 2**20  # 1,048,576 entries, 128 KB raw
    rng = random.Random(2026)
    bits = Bitstring(size)
    for i in rng.sample(range(size), size // 100):
        bits.set(i, True)
    encoded = encode(bits)
    assert len(encoded) < 64 * 1024
    assert decode(encoded) == bits


# ----------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "u",
        SPEC_EMPTY_LIST[1:],  # no multibase prefix
        "z" + SPEC_EMPTY_LIST[1:],  # base58btc prefix
        "m" + SPEC_EMPTY_LIST[1:],  # base64 (not url) prefix
        None,
        b"uH4sI",
    ],
)
def test_a_missing_or_wrong_prefix_is_refused(encoded):
    with pytest.raises(ValueError):
        decode(encoded)


@pytest.mark.parametrize(
    "encoded",
    [
        "u" + "H4sI+AAA",  # standard base64 alphabet
        "u" + "H4sI/AAA",
        SPEC_EMPTY_LIST + "==",  # padding
        "uH4sI AAA",
        "uH4sIé",
        "uABCDE",  # a length no base64 string has
    ],
)
def test_bad_base64url_is_refused(encoded):
    with pytest.raises(ValueError, match="base64url"):
        decode(encoded)


@pytest.mark.parametrize(
    "payload",
    [
        b"not gzip at all",
        zlib.compress(b"\x00" * 16),  # zlib container, not GZIP
        gzip.compress(b"\x00" * 16, mtime=0)[:-6],  # truncated
        gzip.compress(b"\x00" * 16, mtime=0) + b"junk",  # trailing bytes
    ],
)
def test_not_gzip_is_refused(payload):
    with pytest.raises(ValueError, match="GZIP"):
        decode("u" + b64url(payload))


def test_an_empty_list_is_refused():
    with pytest.raises(ValueError):
        decode("u" + b64url(gzip.compress(b"", mtime=0)))


def test_the_cap_is_inclusive():
    encoded = "u" + b64url(gzip.compress(b"\x00" * 1024, mtime=0))
    assert len(decode(encoded, max_bytes=1024)) == 8192
    with pytest.raises(ValueError, match="上限"):
        decode(encoded, max_bytes=1023)


@pytest.mark.parametrize("cap", [0, -1])
def test_the_cap_must_be_positive(cap):
    # zlib reads max_length=0 as "no limit": a cap of 0 or less must not become one
    with pytest.raises(ValueError):
        decode(SPEC_EMPTY_LIST, max_bytes=cap)


def _bomb(total: int) -> str:
    """GZIP of ``total`` zero bytes, compressed in chunks (never held inflated)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [deflater.compress(chunk) for _ in range(total >> 20)]
    parts.append(deflater.flush())
    return "u" + b64url(b"".join(parts))


def test_a_decompression_bomb_is_not_inflated_beyond_the_cap():
    bomb = _bomb(64 << 20)  # 64 MiB of zeros in ~64 KB
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="上限"):
            decode(bomb)  # default cap: 16 MiB
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the cap, the bytearray's growth slack and one step: far from the 64 MiB of the bomb
    assert peak < 1.5 * statuslist.MAX_DECODED_BYTES


# ----------------------------------------------------------------- allocation


@PROPERTY
@given(taken=st.sets(st.integers(0, 63), max_size=60), seed=st.integers(0, 2**32))
def test_allocate_never_returns_a_taken_index(taken, seed):
    index = allocate(taken, 64, rng=random.Random(seed), attempts=10_000)
    assert 0 <= index < 64 and index not in taken


def test_allocate_accepts_a_predicate_and_uses_the_system_rng_by_default():
    asked: list[int] = []

    def taken(i: int) -> bool:
        asked.append(i)
        return i % 2 == 0

    index = allocate(taken, MIN_SIZE)
    assert index % 2 == 1 and 0 <= index < MIN_SIZE and asked[-1] == index


def test_allocated_indices_are_spread_over_the_list():
    rng = random.Random(7)
    taken: set[int] = set()
    for _ in range(200):
        taken.add(allocate(taken, MIN_SIZE, rng=rng))
    assert len(taken) == 200
    assert min(taken) < MIN_SIZE // 4 and max(taken) > 3 * MIN_SIZE // 4  # not sequential


def test_allocate_refuses_a_full_list():
    with pytest.raises(ValueError, match="状态列表已满"):
        allocate(set(range(8)), 8, rng=random.Random(1))
    with pytest.raises(ValueError, match="状态列表已满"):
        allocate(lambda i: True, 8)


@pytest.mark.parametrize("size", [0, -1])
def test_allocate_refuses_an_empty_range(size):
    with pytest.raises(ValueError):
        allocate(set(), size)
