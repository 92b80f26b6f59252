"""``licences``: the e-licence store as a data-sharing provider.

A resource served by it names the licence type in ``backend_config["licence_type"]`` (its
证照类型代码); for a subject (ID number or USCC) it answers with that holder's newest usable
licence of the type — its metadata and fields, not the credential. The gateway has already
checked the requesting department's approval and projects the answer onto the approved fields;
a 有条件共享 licence resource is queried in intake only with the applicant's consent.
"""

from __future__ import annotations

from onething.licences.models import LicenceType
from onething.sharing.providers import ProviderError, register


@register("licences", "电子证照库")
class LicenceStore:
    def fetch(self, resource, subject, fields):
        from onething.licences.wallet import licences_of

        code = (resource.backend_config or {}).get("licence_type", "")
        kind = LicenceType.objects.filter(code=code).first()
        if kind is None:
            raise ProviderError(f"数据资源 {resource.code} 未指定有效的证照类型")
        found = licences_of(subject, [kind])
        if not found:
            return None
        licence = found[0]
        return {
            "identifier": licence.identifier,
            "name": licence.name,
            "number": licence.number,
            "holder_name": licence.holder_name,
            "issuer": licence.issuer.name,
            "issued_on": licence.issued_on.isoformat(),
            "valid_until": licence.valid_until.isoformat() if licence.valid_until else "",
            "status": licence.public_status(),
            **{f"field_{k}": v for k, v in (licence.fields or {}).items()},
        }
