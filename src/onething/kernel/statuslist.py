"""W3C Bitstring Status List v1.0: the bitstring, its ``encodedList`` form, index allocation.

A status list is one bit per credential (1 = revoked / suspended), published as a GZIP-compressed
bitstring in multibase base64url without padding (``"u" + …``). Bit ``i`` is the ``i``-th bit
counting from the most significant bit of byte 0 ("the first index is the left-most bit").

Pure: no I/O, no framework. See https://www.w3.org/TR/vc-bitstring-status-list/.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import random
import secrets
import zlib
from collections.abc import Callable

#: 16 KB of bits: the spec's minimum, so one credential hides among at least 131,072
MIN_SIZE = 131072
#: default ceiling on the decompressed size a decoder accepts (16 MiB = 134,217,728 entries)
MAX_DECODED_BYTES = 16 * 1024 * 1024

_STEP = 1 << 20
_BASE64URL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class Bitstring:
    """A fixed-size list of bits, index 0 being the left-most bit of byte 0."""

    __slots__ = ("_bytes", "_size")

    def __init__(self, size: int = MIN_SIZE, data: bytes | None = None) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0 or size % 8:
            raise ValueError("状态列表长度应为8的正整数倍")
        if data is not None and len(data) * 8 != size:
            raise ValueError("状态列表数据长度与位数不符")
        self._size = size
        self._bytes = bytearray(data) if data is not None else bytearray(size // 8)

    @classmethod
    def from_bytes(cls, data: bytes) -> Bitstring:
        """A bitstring of ``len(data) * 8`` bits over a copy of ``data``."""
        return cls(len(data) * 8, data)

    @classmethod
    def _adopt(cls, buffer: bytearray) -> Bitstring:
        """A bitstring over ``buffer`` itself (no copy): for :func:`decode`."""
        bits = cls.__new__(cls)
        bits._size, bits._bytes = len(buffer) * 8, buffer
        return bits

    def _check(self, i: int) -> None:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self._size:
            raise IndexError(f"状态索引超出范围：{i}")

    def get(self, i: int) -> bool:
        """The bit at index ``i``."""
        self._check(i)
        return bool(self._bytes[i >> 3] & (0x80 >> (i & 7)))

    def set(self, i: int, value: bool) -> None:
        """Set (``True``) or clear (``False``) the bit at index ``i``."""
        self._check(i)
        if value:
            self._bytes[i >> 3] |= 0x80 >> (i & 7)
        else:
            self._bytes[i >> 3] &= ~(0x80 >> (i & 7)) & 0xFF

    def to_bytes(self) -> bytes:
        """The raw bitstring (a copy)."""
        return bytes(self._bytes)

    def count(self) -> int:
        """How many bits are set."""
        return int.from_bytes(self._bytes, "big").bit_count()

    def __len__(self) -> int:
        return self._size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bitstring):
            return NotImplemented
        return self._size == other._size and self._bytes == other._bytes

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        return f"Bitstring(size={self._size}, set={self.count()})"


def encode(bits: Bitstring) -> str:
    """The spec's ``encodedList``: ``"u"`` + base64url (no padding) of the GZIP-compressed bits.

    The GZIP header carries ``mtime=0``, so the same bits always give the same string.
    """
    # level 6: a tenth of level 9's time for about a fifth more bytes (docs/performance.md)
    compressed = gzip.compress(bits.to_bytes(), compresslevel=6, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: str, max_bytes: int = MAX_DECODED_BYTES) -> Bitstring:
    """The bitstring of an ``encodedList``; ``ValueError`` if it is not one.

    At most ``max_bytes`` are ever inflated: a small string that expands to gigabytes (a
    decompression bomb) is refused once it passes the cap, not after.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError("解压上限应为正整数")
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("状态列表编码应以multibase前缀“u”开头")
    body = encoded[1:].encode("ascii", errors="replace")
    if not body or not _BASE64URL.issuperset(body) or len(body) % 4 == 1:
        raise ValueError("状态列表编码不是有效的base64url（无填充）")
    try:
        compressed = base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - shape checked above
        raise ValueError("状态列表编码不是有效的base64url（无填充）") from exc
    raw = _gunzip(compressed, max_bytes)
    if not raw:
        raise ValueError("状态列表为空")
    return Bitstring._adopt(raw)


def _gunzip(compressed: bytes, max_bytes: int) -> bytearray:
    """Inflate one GZIP member in steps of at most 1 MiB, never past ``max_bytes + 1`` bytes."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP container only
    out = bytearray()
    pending = compressed
    try:
        while not inflater.eof:
            chunk = inflater.decompress(pending, min(_STEP, max_bytes + 1 - len(out)))
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                break  # input used up before the end of the stream
            out += chunk
            if len(out) > max_bytes:
                raise ValueError(f"状态列表解压后超过{max_bytes}字节上限")
    except zlib.error as exc:
        raise ValueError("状态列表不是有效的GZIP数据") from exc
    if not inflater.eof or inflater.unused_data:
        raise ValueError("状态列表不是有效的GZIP数据")
    return out


def allocate(
    taken: Callable[[int], bool] | set[int],
    size: int,
    rng: random.Random | secrets.SystemRandom | None = None,
    attempts: int = 64,
) -> int:
    """A random index in ``[0, size)`` that ``taken`` does not hold.

    Indices are drawn at random, not handed out in order: a verifier fetches the whole list
    and learns only the one bit it asked for, but with sequential indices the index in a
    credential would tell when it was issued and, next to the list, how many were issued before
    and after it. Random indices keep a credential indistinguishable from the rest of the list.

    ``taken`` is a set of used indices or a predicate. After ``attempts`` draws that all hit
    used indices the list counts as full (``ValueError``): start a new list.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValueError("状态列表长度应为正整数")
    if attempts < 1:
        raise ValueError("尝试次数应为正整数")
    is_taken = taken.__contains__ if isinstance(taken, set | frozenset) else taken
    draw = (rng or secrets.SystemRandom()).randrange
    for _ in range(attempts):
        index = draw(size)
        if not is_taken(index):
            return index
    raise ValueError(f"状态列表已满：连续{attempts}次随机抽取均已被占用")
