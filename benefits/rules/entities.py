"""The entities of the rules: a person, and the family a person belongs to.

A family groups up to two parents (spouses or partners: the survivor's pension reads the
other parent's values) and any number of children (the family allowance and the birth grant
are computed on the child's row).
"""

from __future__ import annotations

from openfisca_core.entities import build_entity

Person = build_entity(
    key="person",
    plural="persons",
    label="An insured person, a pensioner, a child: anyone the rules compute for.",
    is_person=True,
)

Family = build_entity(
    key="family",
    plural="families",
    label="Parents (spouses or partners) and their children.",
    roles=[
        {"key": "parent", "plural": "parents", "label": "Parent or spouse", "max": 2},
        {"key": "child", "plural": "children", "label": "Child"},
    ],
)

ENTITIES = [Person, Family]
