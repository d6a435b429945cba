"""The import contracts bite: a forbidden import in a scratch copy of the project makes
``lint-imports`` fail, naming the contract it breaks; and each app's docstring declares the face
its contract enforces."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's packages, its configuration and the contract types."""
    copy = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "migrations", "templates", "*.pyc")
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, copy / package, ignore=ignore)
    (copy / "tests" / "architecture").mkdir(parents=True)
    (copy / "tests" / "__init__.py").touch()
    (copy / "tests" / "architecture" / "__init__.py").touch()
    shutil.copy(ROOT / "tests" / "architecture" / "contracts.py", copy / "tests" / "architecture")
    shutil.copy(ROOT / "pyproject.toml", copy)
    return copy


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=project, capture_output=True, text=True, timeout=120
    )


def _with(scratch: Path, tmp_path: Path, module: str, line: str) -> Path:
    """The scratch project with ``line`` appended to ``module`` (created if new)."""
    project = tmp_path / "project"
    shutil.copytree(scratch, project)
    path = project / (module.replace(".", "/") + ".py")
    path.write_text((path.read_text() if path.exists() else "") + f"\n{line}\n")
    return project


def test_the_project_as_it_is_keeps_every_contract(scratch):
    result = _lint(scratch)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # The direction: identity is below mandates, the kernel below everything.
        ("identity.services", "from mandates import selectors as _mandates", "Dependency direction"),
        ("core.money", "import portal.settings", "Dependency direction"),
        ("contributions.ledger", "from devtools import rates as _rates", "Dependency direction"),
        # Faces: another app's models, views, API, admin or tasks are private, and so is a module
        # the face does not name, even one added tomorrow.
        ("mandates.services", "from notifications.models import Notification", "notifications' face"),
        ("contributions.services", "from identity.views import link_person", "identity's face"),
        ("portal.views", "from contributions.api import views as _api", "contributions' face"),
        ("portal.views", "from contributions.ledger import payment_due_date", "contributions' face"),
        ("portal.views", "from mandates.tasks import mandates_maintain", "mandates' face"),
        ("identity.services", "from core.models import AccessRecord", "core's face"),
        ("portal.views", "from contributions.newly_added import anything", "contributions' face"),
        # The split: an app's domain never imports its own interface.
        ("contributions.ledger", "from contributions import views as _views", "contributions: the domain"),
        ("mandates.services", "from mandates.tasks import mandates_maintain", "mandates: the domain"),
        ("notifications.services", "from notifications import tasks as _tasks", "notifications: the domain"),
        # No circles: the face sits above the app's domain modules, which never read through it.
        ("contributions.reads", "from contributions import selectors as _selectors", "No import circles"),
        ("notifications.services", "from notifications import receivers as _receivers", "No import circles"),
        # The payment sandbox stands for a provider outside.
        ("contributions.payments", "import payment_sandbox.views", "payment sandbox"),
        # And so does the identity check sandbox, which knows nothing of the portal.
        ("portal.views", "import check_sandbox.views", "identity check sandbox stands for"),
        ("check_sandbox.views", "from identity import selectors as _selectors", "identity check sandbox knows"),
    ],
)
def test_a_forbidden_import_makes_lint_imports_fail(scratch, tmp_path, module, line, broken):
    project = _with(scratch, tmp_path, module, line)
    if "newly_added" in line:
        (project / "contributions" / "newly_added.py").write_text("anything = 1\n")

    result = _lint(project)

    assert result.returncode == 1, result.stdout
    broken_section = result.stdout.split("Broken contracts", 1)[1]
    assert broken in broken_section, broken_section


def _face_paragraph(package: str) -> tuple[str, str]:
    docstring = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
    paragraph = next((p for p in docstring.split("\n\n") if p.startswith("Face (")), "")
    return docstring, paragraph.split("Everything else", 1)[0]


@pytest.mark.parametrize("contract", [c for c in CONFIG["contracts"] if c["type"] == "face"], ids=lambda c: c["app"])
def test_each_app_declares_in_its_docstring_the_face_its_contract_enforces(contract):
    app, face = contract["app"], set(contract["face"])
    docstring, declared = _face_paragraph(app)
    assert declared, f"{app}/__init__.py has no 'Face (…)' paragraph"
    named = set(re.findall(r"``(\w+)``", docstring))
    assert face <= named, f"{app}'s docstring does not name {sorted(face - named)}"
    modules = {path.stem for path in (ROOT / app).glob("*.py")} | {
        path.name for path in (ROOT / app).iterdir() if (path / "__init__.py").exists()
    }
    offered = set(re.findall(r"``(\w+)``", declared)) & modules
    assert offered <= face, f"{app}'s docstring offers {sorted(offered - face)}, which its contract keeps private"
