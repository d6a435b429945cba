"""The tax-benefit system: the entities, every variable, and the dated parameters in YAML.

OpenFisca binds the entities to one system instance at a time (building or cloning a system
re-points them), so the process keeps one: ``system()``. Staff-composed schemes are added to it
under names of their own (``composition``), which changes no existing variable.
"""

from __future__ import annotations

import functools
from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from benefits.rules.entities import ENTITIES
from benefits.rules.variables import ALL

PARAMETERS_DIRECTORY = Path(__file__).resolve().parent / "parameters"


class GuichetTaxBenefitSystem(TaxBenefitSystem):
    def __init__(self) -> None:
        super().__init__(ENTITIES)
        self.add_variables(*ALL)
        self.load_parameters(str(PARAMETERS_DIRECTORY))


@functools.cache
def system() -> GuichetTaxBenefitSystem:
    """The process's system, built once (about a tenth of a second: the YAML is read then)."""
    return GuichetTaxBenefitSystem()
