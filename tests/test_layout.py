"""The folder rule of DESIGN.md: db, dicom and inference never import each other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"config", "db", "dicom", "inference", "plugin"}

# Which of our packages each package may import, and which third-party packages it must not.
ALLOWED = {
    "config": {"config"},
    "db": {"config", "db"},
    "dicom": {"config", "dicom"},
    "inference": {"config", "inference"},
    "plugin": OURS,
}
FORBIDDEN_THIRD_PARTY = {
    "config": {"torch", "pydicom", "sqlalchemy", "fastapi"},
    "db": {"torch", "pydicom", "pynetdicom", "highdicom", "wsidicom", "fastapi"},
    "dicom": {"torch", "sqlalchemy", "fastapi"},
    "inference": {"pydicom", "pynetdicom", "highdicom", "wsidicom", "sqlalchemy", "fastapi"},
    "plugin": set(),
}


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module a file imports, wherever the import statement is."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_the_folder_rule_allows(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    broken = []
    for path in files:
        roots = imported_roots(path)
        for name in sorted((roots & OURS) - ALLOWED[package]):
            broken.append(f"{path.relative_to(ROOT)} imports {name}")
        for name in sorted(roots & FORBIDDEN_THIRD_PARTY[package]):
            broken.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not broken, "\n".join(broken)


def test_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from db.models import Slide\n    import torch.nn\n")
    assert imported_roots(sample) == {"db", "torch"}


SERVICE_ROOMS = ["ingest", "analysis", "export", "web", "distributed"]


@pytest.mark.parametrize("room", SERVICE_ROOMS)
def test_the_running_service_never_imports_the_offline_tools(room: str) -> None:
    files = sorted((ROOT / "plugin" / room).rglob("*.py"))
    assert files, f"plugin/{room}/ has no Python files"
    broken = [
        f"{path.relative_to(ROOT)} imports plugin.tools"
        for path in files
        if any(name.startswith("plugin.tools") for name in imported_modules(path))
    ]
    assert not broken, "\n".join(broken)


def imported_modules(path: Path) -> set[str]:
    """Full dotted names of every module a file imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names
