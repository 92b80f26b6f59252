"""Every schema of ``/api/v1/openapi.json`` has a name of its own.

django-ninja files each model under ``components/schemas/<class name>`` and, when two
different classes share a name, the later one silently replaces the earlier: operations of
the first then point (``$ref``) at the second's shape, clients are generated wrong and the
fuzzer checks responses against the wrong schema. These tests refuse that:

* no two onething pydantic/ninja model classes share a ``__name__``;
* the document holds one component per distinct model/enum class its operations use, each
  exactly the schema that class produces for its operation, and every ``$ref`` resolves.

No database: the document is built from the routers alone.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections import defaultdict
from typing import Any

import pydantic
from ninja.constants import NOT_SET
from ninja.openapi.schema import BODY_CONTENT_TYPES, REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema

from onething.conf.api import api

REF_PREFIX = REF_TEMPLATE.split("{", 1)[0]


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def _ours(cls: type) -> bool:
    module = cls.__module__
    return module.startswith("onething.") and ".tests" not in module


def _canonical(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False)


def _operations():
    """(label, operation) for every operation the document shows."""
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                if operation.include_in_schema:
                    yield f"{'/'.join(operation.methods)} {bound.prefix}{path}", operation


def _operation_models(operation) -> list[tuple[type[pydantic.BaseModel], str]]:
    """The (ninja-made) top-level models of an operation and the mode their schema is made in."""
    models = [(model, "validation") for model in operation.models]
    for status, model in operation.response_models.items():
        if status is not Ellipsis and model not in (None, NOT_SET):
            models.append((model, "serialization"))
    return models


def _named_types(annotation: Any, found: dict[str, set[type]], seen: set[type]) -> None:
    """Every model and enum class reachable from a type annotation, by class name."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        found[annotation.__name__].add(annotation)
        return
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        found[annotation.__name__].add(annotation)
        _fields(annotation, found, seen)
        return
    if typing.get_origin(annotation) is typing.Literal:
        return
    for arg in typing.get_args(annotation):
        if not isinstance(arg, (str, int, float, bool, bytes, types.NoneType)) or isinstance(arg, type):
            _named_types(arg, found, seen)


def _fields(model: type[pydantic.BaseModel], found: dict[str, set[type]], seen: set[type]) -> None:
    for field in model.model_fields.values():
        _named_types(field.annotation, found, seen)
    for computed in model.model_computed_fields.values():
        _named_types(computed.return_type, found, seen)


def _refs(node: Any):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_no_two_model_classes_share_a_name():
    import ninja  # noqa: F401  (ninja.Schema is a pydantic.BaseModel: walked below)

    by_name: dict[str, list[type]] = defaultdict(list)
    for cls in _subclasses(pydantic.BaseModel):
        if _ours(cls) and not cls.__pydantic_generic_metadata__.get("origin"):
            by_name[cls.__name__].append(cls)
    shared = []
    for name, classes in sorted(by_name.items()):
        if len(classes) > 1:
            shapes = {_canonical(cls.model_json_schema()) for cls in classes}
            kind = "同形" if len(shapes) == 1 else "不同形"
            shared.append(
                f"{name}（{kind}）: " + ", ".join(sorted(f"{c.__module__}.{c.__qualname__}" for c in classes))
            )
    assert not shared, "同名的模型类会在 OpenAPI 文档里互相覆盖：\n" + "\n".join(shared)


def test_every_component_is_the_schema_of_one_class():
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]

    used: dict[str, set[type]] = defaultdict(set)  # component name -> classes the operations use
    expected: dict[str, dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )  # name -> shape -> operations
    unexplained = []
    for label, operation in _operations():
        for model, mode in _operation_models(operation):
            schema = model.model_json_schema(
                ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode
            )
            defs = schema.get("$defs", {})
            found: dict[str, set[type]] = defaultdict(set)
            _fields(model, found, {model})
            if set(defs) != set(found):
                unexplained.append(f"{label}: $defs {sorted(defs)} ≠ 模型类 {sorted(found)}")
            for name, classes in found.items():
                used[name] |= classes
            for name, shape in defs.items():
                expected[name][_canonical(shape)].add(label)
    assert not unexplained, "\n".join(unexplained)

    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in used.items()
        if len(classes) > 1
    }
    assert not shared, f"多个类共用一个组件名：{shared}"
    distinct = set().union(*used.values())
    assert len(components) == len(distinct), (
        f"组件 {len(components)} 个，操作用到的类 {len(distinct)} 个；"
        f"多出：{sorted(set(components) - set(used))}，缺少：{sorted(set(used) - set(components))}"
    )

    wrong = []
    for name, shapes in sorted(expected.items()):
        actual = _canonical(components.get(name))
        for shape, labels in shapes.items():
            if shape != actual:
                wrong.append(f"{name}: {', '.join(sorted(labels)[:3])} 用的形状不是文档里的组件")
    assert not wrong, "\n".join(wrong)

    dangling = sorted(
        {
            ref
            for ref in _refs(document)
            if not ref.startswith(REF_PREFIX) or ref[len(REF_PREFIX) :] not in components
        }
    )
    assert not dangling, f"指向不存在组件的 $ref：{dangling}"


def test_body_and_response_refs_name_the_operations_own_classes():
    """Each operation's request body and response ``$ref`` name the classes its view declares."""
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]
    mismatched = []
    for label, operation in _operations():
        for model, mode in _operation_models(operation):
            if mode == "validation" and model.__ninja_param_source__ not in BODY_CONTENT_TYPES:
                continue
            found: dict[str, set[type]] = defaultdict(set)
            _fields(model, found, {model})
            for name, classes in found.items():
                for cls in classes:
                    if issubclass(cls, pydantic.BaseModel):
                        mine = set(cls.model_json_schema(mode=mode).get("properties", {}))
                        theirs = set(components.get(name, {}).get("properties", {}))
                        if mine != theirs:
                            mismatched.append(
                                f"{label}: {name} 组件的字段 {sorted(theirs)} ≠ {cls.__module__} 的 {sorted(mine)}"
                            )
    assert not mismatched, "\n".join(sorted(set(mismatched)))
