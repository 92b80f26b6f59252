"""The kinds of verifiable document, registered by the app that issues them.

A kind is a dotted key owned by its app (``cases.notice.acceptance``) with the Chinese name the
public verification page shows (受理通知书). The registry lives in code, not in the database
column's choices, so an app adding a kind needs no migration of this app; a kind no longer
registered still verifies, under the generic name.
"""

from __future__ import annotations

import re

KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
KIND_MAX_LENGTH = 40
GENERIC_LABEL = "文书"

_labels: dict[str, str] = {}


def register(kind: str, label: str) -> str:
    """Register ``kind`` with its Chinese ``label``; returns ``kind``. Registering again with the
    same label is harmless (modules are imported once, test reloads aside)."""
    if len(kind) > KIND_MAX_LENGTH or not KIND_PATTERN.fullmatch(kind):
        raise ValueError(
            f"文书类型标识不合规：{kind!r}（如 cases.notice.acceptance，最多{KIND_MAX_LENGTH}个字符）"
        )
    if not label:
        raise ValueError(f"文书类型 {kind} 缺少名称")
    if _labels.get(kind, label) != label:
        raise ValueError(f"文书类型 {kind} 已登记为“{_labels[kind]}”")
    _labels[kind] = label
    return kind


def unregister(kind: str) -> None:
    """Forget ``kind`` (tests that register kinds of their own)."""
    _labels.pop(kind, None)


def is_registered(kind: str) -> bool:
    return kind in _labels


def label(kind: str) -> str:
    """The Chinese name of ``kind`` (the generic 文书 for a kind nobody registers any more)."""
    return _labels.get(kind, GENERIC_LABEL)
