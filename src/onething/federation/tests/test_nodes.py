"""Nodes and trust (issue #17): ``onething node init / descriptor / trust / rotate / peers``."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from onething.federation import keys, nodes
from onething.federation.models import Node, NodeKey, Peer, PeerKey
from onething.kernel import envelope
from onething.kernel.errors import Conflict, Invalid, NotFound

pytestmark = pytest.mark.django_db

HUNAN = ("430000", "湖南省", "https://hunan.example.cn")
HUBEI = "420000"


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    folder = tmp_path / "node-keys"
    settings.ONETHING = {**settings.ONETHING, "NODE_KEY_DIR": str(folder)}
    return folder


def node(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    extra = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    call_command("node", *args, stdout=out, **extra)
    return out.getvalue()


def init_hunan() -> None:
    code, name, url = HUNAN
    node("init", "--code", code, "--name", name, "--url", url)


class Peer_:
    """Another node, outside this database: its keys and the descriptor it would print."""

    def __init__(
        self, code: str = HUBEI, name: str = "湖北省", url: str = "https://hubei.example.cn", hub=False
    ):
        self.code, self.name, self.url, self.hub = code, name, url, hub
        self.keys: list[dict] = []
        self.pems: dict[str, bytes] = {}
        self.add_key()

    def add_key(self, *, old_valid_until: dt.datetime | None = None) -> str:
        """A new current key; the previous current one gets ``old_valid_until`` (rotation)."""
        pem = envelope.new_private_key()
        jwk = envelope.public_jwk(pem)
        kid = envelope.key_id(jwk)
        for key in self.keys:
            if key["current"]:
                key["current"] = False
                key["valid_until"] = old_valid_until.isoformat() if old_valid_until else None
        self.keys.insert(0, {"kid": kid, "jwk": jwk, "current": True, "valid_until": None})
        self.pems[kid] = pem
        return kid

    def descriptor(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "url": self.url,
            "hub": self.hub,
            "keys": [dict(k) for k in self.keys],
        }

    def seal(self, kid: str, recipient: str = HUNAN[0]) -> str:
        message = envelope.Envelope(
            sender=self.code,
            recipient=recipient,
            message_id=str(uuid.uuid4()),
            case="420100-20260930-000001",
            seq=1,
            kind="case.status",
            payload={"status": "accepted"},
            sent_at="2026-09-30T10:00:00+08:00",
        )
        return envelope.seal(message, self.pems[kid], kid)


# ------------------------------------------------------------------------------ init, descriptor


def test_init_and_descriptor_round_trip(key_dir):
    out = node("init", "--code", "430000", "--name", "湖南省", "--url", "https://hunan.example.cn/")
    key = NodeKey.objects.get()
    assert key.current and key.valid_until is None
    assert key.kid in out and "430000" in out

    printed = node("descriptor")
    assert "湖南省" in printed  # ensure_ascii=False: the name is readable
    found = json.loads(printed)
    assert found == {
        "code": "430000",
        "name": "湖南省",
        "url": "https://hunan.example.cn",  # the trailing slash is dropped
        "hub": False,
        "keys": [{"kid": key.kid, "jwk": key.public_jwk, "current": True, "valid_until": None}],
    }
    # the kid is the key's thumbprint, and the key is the one whose private half is on disk
    assert envelope.key_id(found["keys"][0]["jwk"]) == key.kid
    assert envelope.public_jwk(keys.private_pem(key.kid)) == key.public_jwk


def test_key_files_are_private(key_dir):
    init_hunan()
    keys.rotate()
    files = sorted(key_dir.iterdir())
    assert sorted(p.name for p in files) == sorted(f"{k.kid}.pem" for k in NodeKey.objects.all())
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert b"PRIVATE KEY" in path.read_bytes()
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    # the database holds public keys only
    for key in NodeKey.objects.all():
        assert set(key.public_jwk) == {"kty", "crv", "x"}


def test_init_again_is_harmless_and_another_code_is_refused():
    init_hunan()
    kid = keys.current_key().kid
    init_hunan()
    assert Node.objects.count() == 1 and NodeKey.objects.count() == 1
    assert keys.current_key().kid == kid
    # same code: the name and URL follow (a node that moved), the key stays
    nodes.init("430000", "湖南省政务服务", "https://zwfw.hunan.example.cn")
    assert Node.objects.get().url == "https://zwfw.hunan.example.cn" and keys.current_key().kid == kid

    with pytest.raises(CommandError, match=r"已初始化为 430000.*不能改为 420000"):
        node("init", "--code", "420000", "--name", "湖北省", "--url", "https://hubei.example.cn")
    assert Node.objects.get().code == "430000"


@pytest.mark.parametrize(
    ("code", "hub", "message"),
    [
        ("430600", False, "省级节点应为省级行政区划代码"),  # a city is not a province node
        ("100000", False, "省级节点应为省级行政区划代码"),  # 10 is no province
        ("43000", False, "应为6位数字"),
        ("４３００００", False, "应为6位数字"),  # full-width digits
    ],
)
def test_init_refuses_bad_codes(code, hub, message):
    with pytest.raises(CommandError, match=message):
        node("init", "--code", code, "--name", "某节点", "--url", "https://x.example.cn")
    assert not Node.objects.exists() and not NodeKey.objects.exists()


def test_a_hub_may_have_a_code_of_its_own():
    node("init", "--code", "100000", "--name", "全国枢纽", "--url", "https://hub.example.cn", "--hub")
    assert nodes.descriptor()["hub"] is True and nodes.descriptor()["code"] == "100000"


@pytest.mark.parametrize(
    "url", ["ftp://x.example.cn", "hunan.example.cn", "https://", "https://a@x.cn", "http://x.cn/?a=1"]
)
def test_init_refuses_bad_urls(url):
    with pytest.raises(CommandError, match="节点网址"):
        node("init", "--code", "430000", "--name", "湖南省", "--url", url)


def test_descriptor_before_init_says_what_to_do():
    with pytest.raises(CommandError, match=r"本节点尚未初始化.*onething node init"):
        node("descriptor")
    with pytest.raises(CommandError, match="尚未初始化"):
        node("rotate")


# ------------------------------------------------------------------------------ trust


def test_trust_a_peer_and_hear_its_keys(tmp_path):
    init_hunan()
    hubei = Peer_()
    path = tmp_path / "hubei.json"
    path.write_text(json.dumps(hubei.descriptor(), ensure_ascii=False), encoding="utf-8")
    out = node("trust", str(path))
    assert "420000" in out and "点对点" in out

    peer = Peer.objects.get(code=HUBEI)
    assert (peer.name, peer.url, peer.hub, peer.via) == ("湖北省", "https://hubei.example.cn", False, "")
    assert peer.descriptor == hubei.descriptor()
    kid = hubei.keys[0]["kid"]
    assert nodes.trusted_keys(HUBEI) == {kid: hubei.keys[0]["jwk"]}
    assert nodes.trusted_keys("440000") == {}  # unknown sender: no key

    # what the inbox will do: an envelope from the peer opens with its pinned keys
    token = hubei.seal(kid)
    opened = envelope.open_envelope(token, nodes.trusted_keys(HUBEI), recipient="430000")
    assert opened.sender == HUBEI and opened.payload == {"status": "accepted"}
    # and one signed by a key nobody trusted does not
    stranger = Peer_()
    with pytest.raises(envelope.EnvelopeRefused) as refused:
        envelope.open_envelope(stranger.seal(stranger.keys[0]["kid"]), nodes.trusted_keys(HUBEI))
    assert refused.value.code == "untrusted_key"

    listed = node("peers")
    assert "420000" in listed and "湖北省" in listed and kid in listed


def test_a_descriptor_printed_by_one_node_is_trusted_by_another(settings, tmp_path):
    """The whole path: node A prints its descriptor, node B (another database) trusts the file."""
    init_hunan()
    printed = node("descriptor")
    kid = keys.current_key().kid
    # become node B: another database (this one emptied) and another key directory
    NodeKey.objects.all().delete()
    Node.objects.all().delete()
    keys._pems.clear()
    settings.ONETHING = {**settings.ONETHING, "NODE_KEY_DIR": str(tmp_path / "b-keys")}
    node("init", "--code", HUBEI, "--name", "湖北省", "--url", "https://hubei.example.cn")
    node("trust", "-", stdin=printed)
    assert list(nodes.trusted_keys("430000")) == [kid]
    assert Peer.objects.get().name == "湖南省"


def test_a_kid_that_is_not_its_keys_thumbprint_is_refused():
    init_hunan()
    hubei = Peer_()
    tampered = hubei.descriptor()
    other = envelope.public_jwk(envelope.new_private_key())
    tampered["keys"][0]["jwk"] = other  # the id of one key, the public half of another
    with pytest.raises(CommandError, match="标识与公钥不符"):
        node("trust", "-", stdin=json.dumps(tampered))
    assert not Peer.objects.exists() and not PeerKey.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["keys"][0]["jwk"].update(d="c2VjcmV0"), "含有私钥"),
        (lambda d: d["keys"][0]["jwk"].update(x="AAAA"), "32字节"),
        (lambda d: d["keys"][0].update(current=False), "恰好有一个当前密钥"),
        (lambda d: d.update(keys=[]), "非空列表"),
        (lambda d: d.update(keys=d["keys"] * 2), "恰好有一个当前密钥|重复"),
        (lambda d: d.update(code="420100"), "省级节点"),
        (lambda d: d.update(url="javascript:alert(1)"), "节点网址"),
        (lambda d: d.update(name=""), "节点名称"),
        (lambda d: d["keys"][0].update(valid_until="2026-10-01 10:00"), "带时区"),
    ],
)
def test_trust_checks_the_descriptor(change, message):
    init_hunan()
    descriptor = Peer_().descriptor()
    change(descriptor)
    with pytest.raises(Invalid, match=message):
        nodes.trust(descriptor)
    assert not Peer.objects.exists()


def test_trust_refuses_garbage_files(tmp_path):
    init_hunan()
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        node("trust", "-", stdin="{not json")
    with pytest.raises(CommandError, match="找不到描述文件"):
        node("trust", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="应为 JSON 对象"):
        node("trust", "-", stdin="[1, 2]")


def test_a_node_does_not_trust_itself():
    init_hunan()
    own = nodes.descriptor()
    with pytest.raises(CommandError, match="本节点自己"):
        node("trust", "-", stdin=json.dumps(own))
    # nor its own keys under another code
    disguised = {**own, "code": HUBEI, "name": "湖北省"}
    with pytest.raises(Invalid, match="本节点自己"):
        nodes.trust(disguised)
    assert not Peer.objects.exists()


def test_a_key_of_one_peer_cannot_be_claimed_by_another():
    init_hunan()
    hubei = Peer_()
    nodes.trust(hubei.descriptor())
    copy = {**hubei.descriptor(), "code": "440000", "name": "广东省"}
    with pytest.raises(Invalid, match="已属于信任节点"):
        nodes.trust(copy)
    assert nodes.trusted_keys("440000") == {}


def test_routing_through_a_trusted_hub():
    init_hunan()
    hub = Peer_(code="100000", name="全国枢纽", url="https://hub.example.cn", hub=True)
    hubei = Peer_()
    with pytest.raises(CommandError, match="不是已信任的枢纽节点"):
        node("trust", "-", "--via", "100000", stdin=json.dumps(hubei.descriptor()))
    node("trust", "-", stdin=json.dumps(hub.descriptor()))
    out = node("trust", "-", "--via", "100000", stdin=json.dumps(hubei.descriptor()))
    assert "经由枢纽 100000" in out
    assert Peer.objects.get(code=HUBEI).via == "100000"
    # a province node is no hub to route through
    guangdong = Peer_(code="440000", name="广东省")
    with pytest.raises(Invalid, match="不是已信任的枢纽节点"):
        nodes.trust(guangdong.descriptor(), via=HUBEI)


# ------------------------------------------------------------------------------ rotation


def test_a_peers_rotation_keeps_its_old_key_for_the_overlap():
    init_hunan()
    now = timezone.now()
    hubei = Peer_()
    old = hubei.keys[0]["kid"]
    nodes.trust(hubei.descriptor(), now=now)
    token = hubei.seal(old)

    new = hubei.add_key(old_valid_until=now + dt.timedelta(days=7))
    nodes.trust(hubei.descriptor(), now=now + dt.timedelta(hours=1))
    assert PeerKey.objects.get(peer__code=HUBEI, current=True).kid == new
    assert set(nodes.trusted_keys(HUBEI, now + dt.timedelta(days=6))) == {old, new}
    envelope.open_envelope(token, nodes.trusted_keys(HUBEI, now + dt.timedelta(days=6)))  # still heard
    after = nodes.trusted_keys(HUBEI, now + dt.timedelta(days=7, seconds=1))
    assert set(after) == {new}
    with pytest.raises(envelope.EnvelopeRefused):
        envelope.open_envelope(token, after)

    # the next descriptor no longer lists the old key (withdrawn early): it stops at once,
    # though its overlap had a day to run
    hubei.keys = [k for k in hubei.keys if k["kid"] != old]
    nodes.trust(hubei.descriptor(), now=now + dt.timedelta(days=6))
    assert set(nodes.trusted_keys(HUBEI, now + dt.timedelta(days=6))) == {new}
    assert set(PeerKey.objects.filter(peer__code=HUBEI).values_list("kid", flat=True)) == {new}


def test_a_key_dropped_without_an_end_is_gone_at_once():
    init_hunan()
    hubei = Peer_()
    old = hubei.keys[0]["kid"]
    nodes.trust(hubei.descriptor())
    hubei.add_key()  # the old key gets no valid_until …
    hubei.keys = hubei.keys[:1]  # … and is left out (a compromised key is withdrawn)
    nodes.trust(hubei.descriptor())
    assert old not in nodes.trusted_keys(HUBEI)
    assert list(nodes.trusted_keys(HUBEI)) == [hubei.keys[0]["kid"]]


def test_rotate_here_keeps_the_old_key_in_the_descriptor_for_the_overlap():
    init_hunan()
    old = keys.current_key()
    now = timezone.now()
    new = keys.rotate(overlap_days=3, now=now)
    assert keys.current_key() == new and new.kid != old.kid
    old.refresh_from_db()
    assert not old.current and old.valid_until == now + dt.timedelta(days=3)

    listed = nodes.descriptor(now + dt.timedelta(days=2))["keys"]
    assert [(k["kid"], k["current"]) for k in listed] == [(new.kid, True), (old.kid, False)]
    assert listed[1]["valid_until"] == (now + dt.timedelta(days=3)).isoformat()
    assert [k["kid"] for k in nodes.descriptor(now + dt.timedelta(days=3))["keys"]] == [new.kid]

    out = node("rotate", "--overlap-days", "5")
    newest = keys.current_key()
    assert newest.kid in out and new.kid in out
    assert NodeKey.objects.filter(current=True).count() == 1
    new.refresh_from_db()
    assert new.valid_until is not None and not new.current
    # a key already rotated out keeps its own end
    old.refresh_from_db()
    assert old.valid_until == now + dt.timedelta(days=3)
    with pytest.raises(CommandError, match="不能为负数"):
        node("rotate", "--overlap-days", "-1")


def test_a_second_first_key_is_refused_and_a_missing_private_key_is_named(key_dir):
    init_hunan()
    with pytest.raises(Conflict, match="node rotate"):
        keys.create_key()
    kid = keys.current_key().kid
    keys._pems.clear()
    (key_dir / f"{kid}.pem").unlink()
    with pytest.raises(NotFound, match=f"{kid}.*ONETHING_NODE_KEY_DIR"):
        keys.private_pem(kid)
