"""The audit hash chain: any change, removal or reordering of a record breaks the chain at
that record, which is what makes the audit log tamper-evident."""

from __future__ import annotations

from onething.kernel.hashchain import GENESIS, canonical, first_broken_link, link_hash


def _chain(contents):
    records, previous = [], GENESIS
    for n, content in enumerate(contents, start=1):
        digest = link_hash(previous, content)
        records.append((n, previous, digest, content))
        previous = digest
    return records


CONTENTS = [{"sequence": n, "action": f"act{n}", "data": {"k": n}} for n in range(1, 6)]


def test_canonical_is_independent_of_key_order_and_keeps_chinese():
    assert canonical({"b": 1, "a": "受理"}) == canonical({"a": "受理", "b": 1})
    assert canonical({"a": "受理"}) == '{"a":"受理"}'.encode()


def test_hash_depends_on_previous_and_content():
    assert link_hash(GENESIS, {"a": 1}) != link_hash("1" * 64, {"a": 1})
    assert link_hash(GENESIS, {"a": 1}) != link_hash(GENESIS, {"a": 2})
    assert len(link_hash(GENESIS, {})) == 64


def test_intact_chain_and_empty_chain():
    assert first_broken_link(_chain(CONTENTS)) is None
    assert first_broken_link([]) is None


def test_changed_content_is_found():
    records = _chain(CONTENTS)
    n, previous, digest, content = records[2]
    records[2] = (n, previous, digest, {**content, "data": {"k": 99}})
    assert first_broken_link(records) == 3


def test_removed_record_is_found():
    records = _chain(CONTENTS)
    del records[1]
    assert first_broken_link(records) == 3


def test_reordered_records_are_found():
    records = _chain(CONTENTS)
    records[1], records[2] = records[2], records[1]
    assert first_broken_link(records) == 3


def test_rehashed_record_still_breaks_the_next_link():
    """Recomputing a tampered record's own hash does not help: its successor points elsewhere."""
    records = _chain(CONTENTS)
    n, previous, _, content = records[1]
    forged = {**content, "action": "forged"}
    records[1] = (n, previous, link_hash(previous, forged), forged)
    assert first_broken_link(records) == 3


def test_first_record_must_start_from_genesis():
    records = _chain(CONTENTS)
    n, _, _, content = records[0]
    records[0] = (n, "f" * 64, link_hash("f" * 64, content), content)
    assert first_broken_link(records) == 1
