"""``ed25519``: EdDSA over Ed25519 (RFC 8037) through joserfc.

RFC 9864 names the fully specified ``Ed25519`` and deprecates the polymorphic ``EdDSA``; the
public interface and today's verifiers (jwcrypto, PyJWT, jose) expect ``EdDSA``, so that is the
``alg`` written, and joserfc's deprecation warning is silenced here only.
"""

from __future__ import annotations

import json
import warnings

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from onething.licences.signers import BadSignature, register

ALG = "EdDSA"


@register("ed25519", "Ed25519（EdDSA）")
class Ed25519:
    alg = ALG

    def generate(self):
        key = OKPKey.generate_key("Ed25519")
        return key.as_pem(private=True), dict(key.as_dict(private=False))

    def sign(self, private_pem, header, payload):
        key = OKPKey.import_key(private_pem)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return jws.serialize_compact({**header, "alg": ALG}, payload, key, algorithms=[ALG])

    def verify(self, public_jwk, token):
        try:
            key = OKPKey.import_key(public_jwk)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                obj = jws.deserialize_compact(token, key, algorithms=[ALG])
        except (JoseError, ValueError, TypeError, json.JSONDecodeError) as exc:
            raise BadSignature(str(exc)) from None
        return dict(obj.headers()), obj.payload
