"""Template helpers of the case pages."""

from __future__ import annotations

from django import template

from onething.cases.lifecycle import is_key_material

register = template.Library()


@register.simple_tag
def gap_offer(required_materials, missing) -> dict:
    """What 容缺受理 may offer among the missing materials: ``gappable`` (non-key materials, offered
    as 容缺) and ``key`` (key materials — ID documents, the application form — which can never
    be missing: offered only as received on paper)."""
    missing = set(missing or ())
    lines = [m for m in required_materials or () if not m.get("exempt") and m.get("material") in missing]
    return {
        "gappable": [m for m in lines if not is_key_material(m)],
        "key": [m for m in lines if is_key_material(m)],
    }
