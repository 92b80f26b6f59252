"""A registry of plugins keyed by name (Open Forms style): one instance per registered class.

Data-sharing providers and licence signers are each one :class:`Registry`; a plugin module
registers its class with ``@REGISTRY.register("key", "中文名称")``, which sets ``key`` and
``label`` on the instance it keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Registry:
    def __init__(self, missing: Callable[[str], Exception]):
        #: the error :meth:`get` raises for a key nobody registered
        self._missing = missing
        self._plugins: dict[str, Any] = {}

    def register(self, key: str, label: str) -> Callable:
        """Class decorator registering one instance under ``key`` with its Chinese ``label``."""

        def wrap(cls):
            instance = cls()
            instance.key, instance.label = key, label
            self._plugins[key] = instance
            return cls

        return wrap

    def get(self, key: str) -> Any:
        try:
            return self._plugins[key]
        except KeyError:
            raise self._missing(key) from None

    def choices(self) -> list[tuple[str, str]]:
        return [(key, plugin.label) for key, plugin in sorted(self._plugins.items())]

    def values(self) -> list[Any]:
        return list(self._plugins.values())
