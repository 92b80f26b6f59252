"""Licence signers: the plugins that make and check a compact JWS (like Open Forms' registries).

A signer is registered under a key with :func:`register` (one module per signer in this folder).
``ed25519`` (JWS ``alg`` ``EdDSA``, RFC 8037) is the default; a deployment on the national
e-licence system chooses an SM2/SM3 signer (``ONETHING_LICENCE_SIGNER``). Keys are handled as
PEM (private, kept outside the database by ``licences.keys``) and JWK (public, published).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any, Protocol

from onething.kernel.registry import Registry


class BadSignature(Exception):
    """The JWS does not verify under the key (or is not a JWS at all)."""


class Signer(Protocol):
    key: str
    label: str
    alg: str

    def generate(self) -> tuple[bytes, dict[str, Any]]:
        """A new key pair: (private key PEM, public JWK)."""

    def sign(self, private_pem: bytes, header: dict[str, Any], payload: bytes) -> str:
        """A compact JWS of ``payload`` with ``header`` (``alg`` is added)."""

    def verify(self, public_jwk: dict[str, Any], token: str) -> tuple[dict[str, Any], bytes]:
        """(protected header, payload) of a JWS that verifies, or :class:`BadSignature`."""


_REGISTRY = Registry(lambda key: LookupError(f"未登记的签名算法“{key}”"))

BUILTIN = ("ed25519",)

#: ``@register("ed25519", "Ed25519（EdDSA）")`` registers one instance of the class
register = _REGISTRY.register
get: Callable[[str], Signer] = _REGISTRY.get
choices = _REGISTRY.choices


def for_alg(alg: str) -> Signer | None:
    return next((s for s in _REGISTRY.values() if s.alg == alg), None)


def load_builtin() -> None:
    for name in BUILTIN:
        import_module(f"onething.licences.signers.{name}")
    # Signers whose library is an optional extra: skipped when it is not installed
    # (``sm2`` needs gmssl, ``pip install onething[sm]``; gmssl itself needs pycryptodomex).
    for name, libraries in (("sm2", ("gmssl", "Cryptodome")),):
        try:
            import_module(f"onething.licences.signers.{name}")
        except ImportError as exc:
            if (exc.name or "").partition(".")[0] not in libraries:
                raise
