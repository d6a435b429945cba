"""Two import-linter contract types of this project (registered in ``pyproject.toml``).

- ``face``: other packages import an app only through its face, the modules it offers to
  them (``services``, ``selectors``, ``types`` and a few named ones). Everything else of the
  app — models, views, API, admin, forms, URLs, tasks, and any module added later — is private
  to it: a new module is private until the face names it.
- ``split``: inside an app, the domain never imports the interface (views, API, forms, admin,
  tasks, URLs, commands): the interface calls the domain, not the other way round.

Both look at direct imports: an app's own face reads its own models, and that is the point.
"""

from __future__ import annotations

from dataclasses import dataclass

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True)
class _Breach:
    importer: str
    imported: str
    line_numbers: tuple[int, ...]


def _line_numbers(graph: ImportGraph, importer: str, imported: str) -> tuple[int, ...]:
    return tuple(
        sorted(detail["line_number"] for detail in graph.get_import_details(importer=importer, imported=imported))
    )


def _part(module: str, package: str) -> str:
    """The first component of ``module`` below ``package`` ("" for the package itself)."""
    rest = module[len(package) :].lstrip(".")
    return rest.split(".", 1)[0]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _render(breaches: list[dict[str, object]], what: str) -> None:
    for breach in breaches:
        lines = ", ".join(f"l.{number}" for number in breach["line_numbers"])  # type: ignore[attr-defined]
        output.print_error(f"{breach['importer']} -> {breach['imported']} ({lines}): {what}", bold=False)
        output.new_line()


class FaceContract(Contract):
    """``app``'s private modules are imported by nobody outside it but ``exempt`` packages."""

    type_name = "face"

    app = fields.StringField()
    face = fields.ListField(subfield=fields.StringField())
    exempt = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        app: str = self.app  # type: ignore[assignment]
        face = set(self.face)  # type: ignore[arg-type]
        exempt: list[str] = list(self.exempt)  # type: ignore[arg-type]
        breaches = []
        for imported in sorted(graph.find_descendants(app) | {app}):
            part = _part(imported, app)
            if part == "" or part in face:
                continue
            for importer in sorted(graph.find_modules_that_directly_import(imported)):
                if _within(importer, app) or any(_within(importer, package) for package in exempt):
                    continue
                breaches.append(_Breach(importer, imported, _line_numbers(graph, importer, imported)).__dict__)
        return ContractCheck(kept=not breaches, metadata={"breaches": breaches})

    def render_broken_contract(self, check: ContractCheck) -> None:
        _render(check.metadata["breaches"], f"not part of {self.app}'s face ({', '.join(self.face)})")  # type: ignore[arg-type]


class SplitContract(Contract):
    """Inside ``app``, no module outside ``interface`` imports a module of ``interface``."""

    type_name = "split"

    app = fields.StringField()
    interface = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        app: str = self.app  # type: ignore[assignment]
        interface = set(self.interface)  # type: ignore[arg-type]
        breaches = []
        for importer in sorted(graph.find_descendants(app) | {app}):
            if _part(importer, app) in interface:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if _within(imported, app) and _part(imported, app) in interface:
                    breaches.append(_Breach(importer, imported, _line_numbers(graph, importer, imported)).__dict__)
        return ContractCheck(kept=not breaches, metadata={"breaches": breaches})

    def render_broken_contract(self, check: ContractCheck) -> None:
        _render(check.metadata["breaches"], f"the domain of {self.app} imports its interface")
