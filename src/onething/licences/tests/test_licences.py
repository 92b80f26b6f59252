"""E-licences: identifiers, signatures checked by a second JOSE implementation, the JWK set and
rotation, the public status, revocation through the machine and the status lists, the trust
list, consents, 加注件 links and the public interfaces (PRODUCT.md C9)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jws as joserfc_jws
from joserfc.jwk import OKPKey
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from onething.accounts.models import User
from onething.audit.models import AuditRecord
from onething.directory.models import Department
from onething.kernel import codes, statuslist
from onething.kernel.errors import NotPermitted
from onething.kernel.tests.test_licence_identifier_independent import iso7064_valid
from onething.licences import credentials, issuing, keys, sharelinks, wallet
from onething.licences.models import Consent, Licence, LicenceType, LicenceUse, StatusList, TrustedIssuer
from onething.notifications.models import Notification
from onething.workflow.engine import IllegalTransition

pytestmark = pytest.mark.django_db

MARKET = "11430600MB0600018G"  # 岳阳市市场监督管理局
ENTERPRISE = "91430600MA4L00001C"
ZHANGSAN = "430602199001011235"


def _client(username: str | None = None) -> Client:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def _licence(name: str, holder: str) -> Licence:
    return Licence.objects.get(type__name=name, holder_id=holder)


def _issue(name="机动车驾驶证", holder=ZHANGSAN, issuer="11430600MB0600046D", **kw) -> Licence:
    return issuing.issue(
        issuing.Request(
            type=LicenceType.objects.get(name=name),
            issuer=Department.objects.get(code=issuer),
            holder_kind=kw.pop("holder_kind", "person"),
            holder_id=holder,
            holder_name=kw.pop("holder_name", "张三"),
            fields=kw.pop("fields", {"vehicle_class": "C1"}),
            **kw,
        )
    )


def _jwcrypto_verify(token: str) -> bytes:
    """Verify with jwcrypto against the published JWK set (not the library that signed)."""
    keyset = jwcrypto_jwk.JWKSet.from_json(json.dumps(_client().get("/.well-known/jwks.json").json()))
    parsed = jwcrypto_jws.JWS()
    parsed.deserialize(token)
    kid = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]
    parsed.verify(keyset.get_key(kid), alg="EdDSA")
    return parsed.payload


# ------------------------------------------------------------------------------ identifiers


def test_every_issued_identifier_passes_the_independent_check():
    issued = [_issue() for _ in range(3)] + list(Licence.objects.all())
    for licence in issued:
        parts = licence.identifier.split(".")
        assert licence.identifier.startswith("1.2.156.3005.2.")
        assert parts[5] == licence.type_id and parts[6] == licence.issuer_id
        assert len(parts[8]) == 3 and int(parts[8]) == licence.version
        assert iso7064_valid("".join(parts[5:9]) + parts[9])
        assert codes.validate_licence_identifier(licence.identifier) is None
    serials = [lic.identifier.split(".")[7] for lic in issued[:3]]
    assert len(set(serials)) == 3  # one counter per type, issuer and year


def test_the_demo_type_table_has_national_shaped_codes():
    from onething.licences.models import type_code_problem

    for kind in LicenceType.objects.all():
        assert type_code_problem(kind.code) is None, kind
    assert LicenceType.objects.get(name="机动车驾驶证").code == "11100000000013338W011"


# ------------------------------------------------------------------------------ signatures


def test_the_credential_is_a_vc_2_0_that_a_second_jose_library_verifies():
    licence = _licence("营业执照", ENTERPRISE)
    payload = json.loads(_jwcrypto_verify(licence.credential))
    assert payload["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "VerifiableCredential" in payload["type"]
    assert payload["id"] == f"urn:gbt36904:{licence.identifier}"
    assert payload["issuer"]["name"] == "岳阳市市场监督管理局"
    subject = payload["credentialSubject"]
    assert subject["holder"]["id"] == ENTERPRISE
    assert subject["licence"]["fields"]["legal_rep"] == "李四"
    purposes = {s["statusPurpose"] for s in payload["credentialStatus"]}
    assert purposes == {"revocation", "suspension"}
    header = json.loads(base64.urlsafe_b64decode(licence.credential.split(".")[0] + "=="))
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt" and header["kid"] == licence.kid


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_byte_of_the_payload_fails_verification(data):
    licence = Licence.objects.order_by("pk").first()
    head, body, signature = licence.credential.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= data.draw(st.integers(1, 255))
    forged_body = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    forged = f"{head}.{forged_body}.{signature}"
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        _jwcrypto_verify(forged)
    assert not credentials.verify(forged).genuine


def test_the_qr_payload_is_short_carries_no_personal_data_and_verifies_offline():
    licence = _licence("结婚证", ZHANGSAN)
    token = credentials.qr_token(licence)
    payload = json.loads(_jwcrypto_verify(token))
    assert set(payload) == {"id", "vu", "h", "st"}
    assert payload["id"] == licence.identifier
    assert payload["st"].endswith(f"/api/v1/licences/{licence.identifier}/status")
    assert ZHANGSAN not in token and "张三" not in json.dumps(payload, ensure_ascii=False)
    assert len(credentials.qr_url(licence)) < 600  # a QR code a phone reads off a screen
    assert credentials.verify(token).genuine


def test_keys_rotate_and_old_licences_still_verify():
    old = Licence.objects.order_by("pk").first()
    before = keys.active().kid
    keys.rotate()
    published = [k["kid"] for k in _client().get("/.well-known/jwks.json").json()["keys"]]
    assert before in published and keys.active().kid in published and keys.active().kid != before
    assert _jwcrypto_verify(old.credential)
    assert credentials.verify(old.credential).genuine
    new = _issue()
    assert new.kid == keys.active().kid != before
    assert _jwcrypto_verify(new.credential)


def test_jwks_carries_public_keys_only():
    body = _client().get("/.well-known/jwks.json").json()
    assert body["keys"] and all("d" not in k for k in body["keys"])
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["alg"] == "EdDSA" for k in body["keys"])


# ------------------------------------------------------------------------------ trust list


def _foreign_credential(key: OKPKey, kid: str, identifier: str = "X", until: str = "2099-12-31") -> str:
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:gbt36904:{identifier}",
        "type": ["VerifiableCredential"],
        "name": "营业执照",
        "issuer": {"id": "urn:uscc:11100000MB0143028X", "name": "国家市场监督管理总局"},
        "validUntil": until,
    }
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return joserfc_jws.serialize_compact(
            {"alg": "EdDSA", "kid": kid, "typ": "vc+jwt"},
            json.dumps(payload).encode(),
            key,
            algorithms=["EdDSA"],
        )


def test_an_untrusted_issuer_is_refused_and_a_trusted_one_accepted():
    key = OKPKey.generate_key("Ed25519")
    token = _foreign_credential(key, "national-1")
    refused = _client().post(
        "/api/v1/licences/verify", {"credential": token}, content_type="application/json"
    )
    assert refused.status_code == 200
    assert refused.json()["genuine"] is False and "信任列表" in refused.json()["message"]
    TrustedIssuer.objects.create(
        name="全国一体化政务服务平台电子证照系统",
        issuer="urn:uscc:11100000MB0143028X",
        kid="national-1",
        public_jwk=dict(key.as_dict(private=False)),
    )
    accepted = credentials.verify(token)
    assert accepted.genuine and accepted.trusted_via == "全国一体化政务服务平台电子证照系统"
    # a trusted issuer's key cannot vouch for a forged payload, nor for an expired licence
    head, body, sig = token.split(".")
    assert not credentials.verify(f"{head}.{body[:-2]}AA.{sig}").genuine
    assert credentials.verify(_foreign_credential(key, "national-1", until="2020-01-01")).status == "expired"
    TrustedIssuer.objects.filter(kid="national-1").update(active=False)
    assert not credentials.verify(token).genuine


# ------------------------------------------------------------------------------ interfaces


def test_public_status_and_verification_page_show_no_personal_data():
    licence = _licence("结婚证", ZHANGSAN)
    body = _client().get(f"/api/v1/licences/{licence.identifier}/status").json()
    assert body == {"identifier": licence.identifier, "status": "valid"}
    page = _client().get("/licences/verify/", {"c": credentials.qr_token(licence)})
    html = page.content.decode()
    assert page.status_code == 200 and "真实有效" in html and "岳阳市岳阳楼区民政局" in html
    assert ZHANGSAN not in html and "张三" not in html and "王芳" not in html
    by_id = _client().get("/licences/verify/", {"id": licence.identifier}).content.decode()
    assert "真实有效" in by_id and "张三" not in by_id
    bad = _client().get("/licences/verify/", {"id": licence.identifier[:-1] + "0"}).content.decode()
    assert "校验码" in bad
    assert _client().get("/api/v1/licences/1.2.156.nonsense/status").status_code == 404


def test_holder_and_issuer_see_a_licence_others_get_404(make_user):
    licence = _licence("营业执照", ENTERPRISE)
    url = f"/api/v1/licences/{licence.identifier}"
    holder = _client("lisi").get(url)
    assert holder.status_code == 200
    body = holder.json()
    assert set(body) >= {
        "identifier",
        "name",
        "type_code",
        "holder",
        "issuer",
        "issued_on",
        "valid_until",
        "status",
        "credential",
    }
    assert body["status"] == "valid" and body["holder"]["id"] == ENTERPRISE
    assert _client("bumen_admin").get(url).status_code == 200  # the issuing department
    assert _client("zhangsan").get(url).status_code == 404
    assert _client("shenpi_gongan").get(url).status_code == 404
    assert _client().get(url).status_code == 401
    mine = _client("lisi").get("/api/v1/me/licences").json()["results"]
    assert [r["identifier"] for r in mine] == [licence.identifier]
    zhang = {r["name"] for r in _client("zhangsan").get("/api/v1/me/licences").json()["results"]}
    assert {"结婚证", "机动车驾驶证"} <= zhang
    # the issuing department's staff see a person's number masked
    driving = _licence("机动车驾驶证", ZHANGSAN)
    seen = _client("shenpi_gongan").get(f"/api/v1/licences/{driving.identifier}").json()
    assert seen["holder"]["id"] != ZHANGSAN and seen["holder"]["id"].endswith(ZHANGSAN[-4:])
    assert (
        _client("zhangsan").get(f"/api/v1/licences/{driving.identifier}").json()["holder"]["id"] == ZHANGSAN
    )


def test_revoke_by_the_issuing_admin_sets_the_status_list_bit(make_user):
    licence = _licence("营业执照", ENTERPRISE)
    url = f"/api/v1/licences/{licence.identifier}/revoke"
    # the holder and another department cannot revoke
    assert _client("lisi").post(url, {"reason": "吊销"}, content_type="application/json").status_code == 403
    assert (
        _client("shuju_gongan").post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    )
    response = _client("bumen_admin").post(
        url, {"reason": "吊销：违法经营被依法吊销"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    licence.refresh_from_db()
    assert licence.reason_code == "revoke"
    assert _client().get(f"/api/v1/licences/{licence.identifier}/status").json()["status"] == "revoked"
    # the published list, verified by the second library, has the bit at the licence's index
    listed = _client().get(f"/api/v1/licences/status-lists/{licence.revocation_list_id}")
    assert listed["Content-Type"] == "application/vc+jwt"
    subject = json.loads(_jwcrypto_verify(listed.content.decode()))["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    bits = statuslist.decode(subject["encodedList"])
    assert bits.get(licence.revocation_index) and bits.count() == 1
    assert not credentials.verify(licence.credential).genuine
    assert "已废止" in credentials.verify(licence.credential).message
    assert AuditRecord.objects.filter(
        object_type="licence", object_id=licence.identifier, action="licence.revoke"
    ).exists()
    holder_note = Notification.objects.get(recipient__username="lisi", event="licences.revoke")
    assert "已废止" in holder_note.title
    # revoked is final
    again = _client("bumen_admin").post(url, {"reason": "注销"}, content_type="application/json")
    assert again.status_code == 409


def test_suspend_and_resume_flip_the_suspension_bit():
    licence = _licence("营业执照", ENTERPRISE)
    admin = User.objects.get(username="bumen_admin")
    with pytest.raises(IllegalTransition):
        issuing.change(licence, "suspend", admin, reason="")  # a reason is required
    issuing.change(licence, "suspend", admin, reason="涉嫌违法经营，立案调查")
    licence.refresh_from_db()
    assert licence.public_status() == "suspended"
    assert statuslist.Bitstring(
        licence.suspension_list.size, bytes(StatusList.objects.get(pk=licence.suspension_list_id).bits)
    ).get(licence.suspension_index)
    issuing.change(licence, "resume", admin)
    licence.refresh_from_db()
    assert licence.public_status() == "valid"
    assert not statuslist.Bitstring(
        licence.suspension_list.size, bytes(StatusList.objects.get(pk=licence.suspension_list_id).bits)
    ).get(licence.suspension_index)
    with pytest.raises(NotPermitted):
        issuing.change(licence, "suspend", User.objects.get(username="lisi"), reason="x")


def test_expiry_follows_from_validity():
    licence = _issue(valid_until=dt.date(2020, 1, 1), issued_on=dt.date(2014, 1, 2))
    assert licence.status == "valid" and licence.public_status() == "expired"
    assert _client().get(f"/api/v1/licences/{licence.identifier}/status").json()["status"] == "expired"
    assert "已过有效期" in credentials.verify(licence.credential).message


def test_reissue_revokes_and_issues_the_next_version():
    licence = _licence("营业执照", ENTERPRISE)
    new = issuing.reissue(
        licence, User.objects.get(username="bumen_admin"), fields={"address": "岳阳市岳阳楼区巴陵中路 1 号"}
    )
    old = Licence.objects.get(pk=licence.pk)
    assert old.status == "revoked" and old.reason_code == "reissue"
    assert (
        new.version == 2
        and new.replaces_id == old.pk
        and new.fields["address"].startswith("岳阳市岳阳楼区巴陵")
    )
    assert new.identifier.split(".")[7] == old.identifier.split(".")[7]
    assert new.identifier.split(".")[8] == "002" and codes.validate_licence_identifier(new.identifier) is None


def test_status_list_indices_are_random_and_distinct():
    issued = [_issue() for _ in range(12)]
    indices = [lic.revocation_index for lic in issued]
    assert len(set(indices)) == 12
    assert indices != sorted(indices)  # not in issue order (12! orders: a sorted draw is ~2e-9)
    assert all(0 <= i < issued[0].revocation_list.size for i in indices)


# ------------------------------------------------------------------------------ consent


def _consent(user="zhangsan", name="结婚证", **kw) -> Consent:
    person = User.objects.get(username=user)
    return wallet.give(
        person,
        holder_id=kw.pop("holder", person.id_number),
        kind=LicenceType.objects.get(name=name),
        scope=kw.pop("scope", "item"),
        scope_code=kw.pop("scope_code", "430602-GA-0701-01"),
        scope_name="出生登记（户口登记）",
        purpose=kw.pop("purpose", "办理出生登记"),
        **kw,
    )


def test_consent_is_a_signed_receipt_and_withdrawing_refuses_the_next_use():
    consent = _consent()
    receipt = json.loads(_jwcrypto_verify(consent.receipt))
    assert receipt["licenceTypeName"] == "结婚证" and receipt["scopeCode"] == "430602-GA-0701-01"
    assert receipt["purpose"] == "办理出生登记"
    use = wallet.use(
        holder_id=ZHANGSAN,
        material="marriage-certificate",
        scopes=[("item", "430602-GA-0701-01")],
        department="11430602MB0600246M",
        purpose="办理出生登记",
    )
    assert use.verification.genuine and use.record.allowed
    wallet.withdraw(User.objects.get(username="zhangsan"), consent)
    with pytest.raises(wallet.ConsentRequired):
        wallet.use(
            holder_id=ZHANGSAN,
            material="marriage-certificate",
            scopes=[("item", "430602-GA-0701-01")],
            department="11430602MB0600246M",
            purpose="办理出生登记",
        )
    outcomes = list(LicenceUse.objects.filter(licence__holder_id=ZHANGSAN).values_list("allowed", flat=True))
    assert sorted(outcomes) == [False, True]
    # another scope is never covered
    _consent()
    with pytest.raises(wallet.ConsentRequired):
        wallet.use(
            holder_id=ZHANGSAN,
            material="marriage-certificate",
            scopes=[("item", "430602-YB-0501-01")],
            department="11430602MB0600239X",
            purpose="生育保险",
        )


def test_only_the_holder_consents_and_the_api_lists_and_withdraws():
    with pytest.raises(NotPermitted):
        _consent(user="lisi", holder=ZHANGSAN)
    client = _client("zhangsan")
    code = LicenceType.objects.get(name="结婚证").code
    made = client.post(
        "/api/v1/me/licences/consents",
        {"licence_type": code, "scope": "item", "scope_code": "430602-GA-0701-01", "purpose": "办理出生登记"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    consent = made.json()
    assert consent["status"] == "given" and consent["receipt"].count(".") == 2
    listed = client.get("/api/v1/me/licences/consents").json()["results"]
    assert [c["id"] for c in listed] == [consent["id"]]
    assert _client("lisi").post(f"/api/v1/me/licences/consents/{consent['id']}/withdraw").status_code == 404
    done = client.post(f"/api/v1/me/licences/consents/{consent['id']}/withdraw")
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert client.post(f"/api/v1/me/licences/consents/{consent['id']}/withdraw").status_code == 409


def test_consent_validity_is_bounded():
    from onething.kernel.errors import Invalid

    with pytest.raises(Invalid):
        _consent(valid_until=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(Invalid):
        _consent(valid_until=timezone.localdate() + dt.timedelta(days=4000))


# ------------------------------------------------------------------------------ 加注件


def test_a_share_link_works_for_its_period_and_stops():
    licence = _licence("结婚证", ZHANGSAN)
    zhang = User.objects.get(username="zhangsan")
    now = timezone.now()
    link, url = sharelinks.create(zhang, licence, recipient="某银行", purpose="办理房贷", days=3, now=now)
    token = url.rstrip("/").rsplit("/", 1)[1]
    page = _client().get(f"/licences/shared/{token}/")
    html = page.content.decode()
    assert page.status_code == 200 and "办理房贷" in html and "某银行" in html
    assert ZHANGSAN not in html  # masked for the third party
    assert LicenceUse.objects.filter(licence=licence, purpose__contains="办理房贷").exists()
    with pytest.raises(Exception, match=r"过期|收回"):
        sharelinks.open_link(token, now=now + dt.timedelta(days=3, seconds=1))
    sharelinks.revoke(zhang, link)
    assert _client().get(f"/licences/shared/{token}/").status_code == 404
    assert _client().get("/licences/shared/not-a-token/").status_code == 404
    with pytest.raises(Exception, match="未找到"):
        sharelinks.create(User.objects.get(username="lisi"), licence, recipient="x", purpose="y", days=1)


def test_pages_of_holder_and_issuer(make_user):
    licence = _licence("营业执照", ENTERPRISE)
    mine = _client("lisi").get("/licences/")
    assert mine.status_code == 200 and "营业执照" in mine.content.decode()
    detail = _client("lisi").get(f"/licences/{licence.identifier}/").content.decode()
    assert "<svg" in detail and "加注件分享" in detail and "废止" not in detail
    admin_page = _client("bumen_admin").get(f"/licences/{licence.identifier}/").content.decode()
    assert "发证部门操作" in admin_page and "废止" in admin_page
    assert _client("zhangsan").get(f"/licences/{licence.identifier}/").status_code == 404
    issued = _client("bumen_admin").get("/licences/issued/").content.decode()
    assert "营业执照" in issued
    police = _client("shenpi_gongan").get("/licences/issued/").content.decode()
    assert "机动车驾驶证" in police and ZHANGSAN not in police  # a person's number masked for staff
    assert _client("zhangsan").get("/licences/issued/").status_code == 404
    pdf = _client("lisi").get(f"/licences/{licence.identifier}/face.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    again = _client("lisi").get(f"/licences/{licence.identifier}/face.pdf")
    assert again.content == pdf.content  # stored on first read, served unchanged
    # the issuer's staff get the face with a person's number masked; the holder in full
    import io

    from pypdf import PdfReader

    driving = _licence("机动车驾驶证", ZHANGSAN)

    def text_of(username):
        body = _client(username).get(f"/licences/{driving.identifier}/face.pdf").content
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)

    assert ZHANGSAN in text_of("zhangsan").replace(" ", "")
    staff = text_of("shenpi_gongan").replace(" ", "")
    assert "机动车驾驶证" in staff and ZHANGSAN not in staff


def test_bad_input_on_pages_is_a_message_not_a_500():
    licence = _licence("营业执照", ENTERPRISE)
    client = _client("lisi")
    url = f"/licences/{licence.identifier}/share/"
    # NUL is refused by the gateway for the whole request; the rest by the field rules
    assert client.post(url, {"recipient": "银行\x00", "purpose": "x", "days": "3"}).status_code == 400
    for form in (
        {"recipient": "银行", "purpose": "x" * 300, "days": "3"},
        {"recipient": "银行", "purpose": "房贷", "days": "99999"},
        {"recipient": "", "purpose": "房贷", "days": "3"},
        {"recipient": "银行", "purpose": "房贷", "days": "三"},
    ):
        response = client.post(url, form, follow=True)
        assert response.status_code == 200
        assert "error" in response.content.decode()
    assert not licence.share_links.exists()
    admin = _client("bumen_admin")
    response = admin.post(
        f"/licences/{licence.identifier}/act/revoke/", {"reason_code": "nonsense", "reason": "x"}
    )
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.status == "valid"
    assert admin.post(f"/licences/{licence.identifier}/act/explode/").status_code == 302
    assert client.post("/licences/consents/99999999999999999999/withdraw/").status_code == 404


TEXTS = st.one_of(
    st.text(max_size=30),
    st.text(min_size=190, max_size=600),
    st.sampled_from(["", " ", "\u0000", "\ud800", "'; DROP TABLE x;--", "<script>", "9" * 40, "-1", "0"]),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recipient=TEXTS, purpose=TEXTS, days=TEXTS, code=TEXTS, scope=TEXTS, until=TEXTS, reason=TEXTS)
def test_licence_forms_never_fail_and_a_refusal_writes_nothing(
    recipient, purpose, days, code, scope, until, reason
):
    licence = _licence("营业执照", ENTERPRISE)
    holder, admin = _client("lisi"), _client("bumen_admin")
    consents = Consent.objects.count()

    def post(client, url, form):
        try:
            response = client.post(url, form)
        except UnicodeEncodeError:
            return None  # the test client cannot encode a lone surrogate; a browser cannot send one
        assert response.status_code < 500, (url, form)
        return response

    post(
        holder,
        f"/licences/{licence.identifier}/share/",
        {"recipient": recipient, "purpose": purpose, "days": days},
    )
    post(
        holder,
        "/licences/consents/",
        {"licence_type": code, "scope_code": scope, "purpose": purpose, "valid_until": until},
    )
    post(admin, f"/licences/{licence.identifier}/act/suspend/", {"reason": reason})
    post(admin, f"/licences/{licence.identifier}/act/resume/", {})
    post(admin, f"/licences/{licence.identifier}/act/revoke/", {"reason_code": code, "reason": reason})
    licence.refresh_from_db()
    assert licence.status in ("valid", "suspended")  # no fuzzed reason code is a real one
    for share in licence.share_links.all():
        assert share.recipient.strip() and 1 <= (share.expires_at - share.created_at).days <= 90
    assert consents == Consent.objects.count()  # no fuzzed code names a licence type
