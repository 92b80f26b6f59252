"""No code outside the engine writes a state field a machine governs.

For every registered machine (model, field), the source of the model's app is read and every
way of writing that field is refused: ``obj.status = …``, ``setattr(obj, "status", …)``,
``.update(status=…)``, ``.create(status=…)`` and friends, and ``Model(status=…)``. The one
allowed value is a firing's ``target`` (``engine.initial(…).target``, for bulk writers such
as intake), so even that write is the machine's answer. Migrations and tests are not read.
"""

from __future__ import annotations

import ast
from pathlib import Path

import django.apps

import onething
from onething.workflow import engine

ROOT = Path(onething.__file__).parent
WRITERS = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}
AUX = {"resume_status"}  # the remembered state of a paused case: also the engine's to write


def _governed() -> dict[Path, tuple[set[str], set[str]]]:
    """For each app package: (state field names, model class names) of its machines (each
    app registers its machines when Django starts, in its ``AppConfig.ready``)."""
    out: dict[Path, tuple[set[str], set[str]]] = {}
    for _machine, label, field in engine.registered().values():
        model = django.apps.apps.get_model(label)
        package = Path(django.apps.apps.get_app_config(model._meta.app_label).path)
        fields, models = out.setdefault(package, (set(), set()))
        fields.update({field, *AUX})
        models.add(model.__name__)
    return out


def _is_target(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "target"


def _offences(tree: ast.AST, fields: set[str], models: set[str]) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if (
                        isinstance(sub, ast.Attribute)
                        and sub.attr in fields
                        and isinstance(sub.ctx, ast.Store)
                    ):
                        lines.append(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name == "setattr" and len(node.args) >= 2:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and arg.value in fields:
                    lines.append(node.lineno)
            if name in WRITERS or name in models:
                for keyword in node.keywords:
                    if keyword.arg in fields and not _is_target(keyword.value):
                        lines.append(node.lineno)
    return lines


def _sources(package: Path):
    for path in sorted(package.rglob("*.py")):
        parts = set(path.relative_to(package).parts)
        if "migrations" in parts or "tests" in parts:
            continue
        yield path


def test_only_the_engine_writes_state_fields():
    governed = _governed()
    assert governed, "no machine registered"
    found = []
    for package, (fields, models) in governed.items():
        for path in _sources(package):
            for line in _offences(ast.parse(path.read_text(), str(path)), fields, models):
                found.append(f"{path.relative_to(ROOT)}:{line}")
    assert found == [], "state fields written outside the workflow engine: " + ", ".join(found)


def test_the_check_finds_each_kind_of_write():
    source = """
app.status = "x"
setattr(app, "status", "x")
Application.objects.filter(pk=1).update(status="x")
Extension.objects.create(status="x")
SubCase(status="x")
app.resume_status = ""
SubCase(status=opened.target)
Application.objects.filter(status="x")
"""
    lines = _offences(ast.parse(source), {"status", "resume_status"}, {"SubCase"})
    assert sorted(lines) == [2, 3, 4, 5, 6, 7]
