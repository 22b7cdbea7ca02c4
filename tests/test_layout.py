"""The layout of the code (README, "Layout"), enforced: who may import what, how long a
module may grow.

Every module of ``scoring`` is read as text and its imports resolved (relative ones
too), without importing anything. The rules:

- the ranking engine and the other pure rules import only the standard library (and each
  other);
- the PDF builders import only ReportLab, Flask-Babel, the standard library, the
  ``scoring.i18n`` helpers and each other;
- the models import no views, no forms and no request machinery;
- no feature imports another feature's views or forms, and no shared module imports
  any feature's views or forms (only ``create_app`` wires the blueprints);
- no module is longer than 600 lines unless its docstring says why.
"""

import ast
import sys
from pathlib import Path

SCORING = Path(__file__).resolve().parent.parent / "scoring"
FEATURES = {
    "applications",
    "auth",
    "backup",
    "contests",
    "documents",
    "imports",
    "judging",
    "privacy",
    "results",
}
PURE = {"scoring.ranking", "scoring.judging.assignment", "scoring.results.stability"}
PDF = "scoring.documents.pdf"
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(SCORING.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(SCORING.rglob("*.py"))
        if "migrations" not in path.parts
    }


MODULES = _modules()


def imports(name: str) -> set[str]:
    """The modules ``name`` imports, absolute; ``from x import y`` counts ``x.y`` when
    ``y`` is a module of ours, else ``x``."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            ours = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES]
            found.update(ours)
            if len(ours) < len(node.names):  # names from the module itself
                found.add(module)
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def _is_standard(module: str) -> bool:
    return _top(module) in sys.stdlib_module_names or module == "__future__"


def _feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "scoring" and parts[1] in FEATURES else None


def _is_views_or_forms(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last in ("views", "forms") or last.endswith(("_views", "_forms"))


def test_the_rules_see_every_module_and_resolve_relative_imports():
    # The checks below would pass vacuously if they read nothing.
    assert {"scoring.ranking", "scoring.models", "scoring.documents.pdf.base"} <= set(MODULES)
    assert "scoring.ranking" in imports("scoring.results.stability")
    assert "scoring.documents.pdf.records" in imports("scoring.documents.pdf.protocol")
    assert "scoring.access" in imports("scoring.judging.views")


def test_the_engine_and_the_pure_rules_import_only_the_standard_library():
    foreign = {
        name: sorted(m for m in imports(name) if not _is_standard(m) and m not in PURE)
        for name in PURE
    }
    assert not any(foreign.values()), f"pure modules import more than the stdlib: {foreign}"


def test_the_pdf_builders_import_only_reportlab_and_the_i18n_helpers():
    allowed = {"reportlab", "flask_babel"}
    builders = [name for name in MODULES if name.startswith(PDF)]
    assert len(builders) >= 8
    foreign = {
        name: sorted(
            m
            for m in imports(name)
            if not _is_standard(m)
            and _top(m) not in allowed
            and m != "scoring.i18n"
            and not m.startswith(PDF)
        )
        for name in builders
    }
    assert not any(foreign.values()), f"the PDF builders import {foreign}"


def test_the_models_import_no_views_forms_or_request_machinery():
    found = imports("scoring.models")
    bad = {m for m in found if _is_views_or_forms(m) or _feature(m) or _top(m) == "flask"}
    assert not bad, f"scoring.models imports {sorted(bad)}"


def test_no_feature_imports_another_features_views_or_forms():
    """``create_app`` (``scoring``) alone wires the blueprints of every feature."""
    bad = {}
    for name in MODULES:
        own = _feature(name)
        found = sorted(
            m
            for m in imports(name)
            if _is_views_or_forms(m) and _feature(m) and _feature(m) != own
        )
        if found and name != "scoring":
            bad[name] = found
    assert not bad, f"modules import the views or forms of another feature: {bad}"


def test_no_module_is_longer_than_600_lines_without_a_reason():
    long = {}
    for path in MODULES.values():
        text = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > MAX_LINES and "Longer than 600 lines:" not in docstring:
            long[str(path.relative_to(SCORING.parent))] = text.count("\n")
    assert not long, (
        f"split these modules, or say in the docstring why each is whole "
        f"(«Longer than 600 lines: …»): {long}"
    )
