"""Every attribution rule the code knows exists, off until staff switch it on: created by a
migration, and again after a ``migrate`` or a flush for any that is missing (a flush empties the
tables a migration filled: the transactional tests flush the database after each)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from benefits.attribution.rules import RULES, rules_ensure
from benefits.models import AttributionRule

pytestmark = pytest.mark.django_db


def test_the_rules_the_code_knows_exist_off():
    assert set(AttributionRule.objects.values_list("trigger", "scheme", "enabled")) == {
        (trigger, scheme, False) for trigger, scheme, _auto in RULES
    }


def test_a_missing_rule_is_created_again_and_one_staff_changed_is_left_as_it_is():
    AttributionRule.objects.filter(trigger="birth", scheme="birth_grant").update(enabled=True, auto_verify=False)
    AttributionRule.objects.filter(trigger="death").delete()

    assert rules_ensure() == 2
    assert rules_ensure() == 0
    grant = AttributionRule.objects.get(trigger="birth", scheme="birth_grant")
    assert grant.enabled and not grant.auto_verify
    survivor = AttributionRule.objects.get(trigger="death", scheme="survivor_pension")
    assert not survivor.enabled and not survivor.auto_verify  # verified by a person, as the migration made it


def test_after_a_flush_the_rules_are_there_again():
    call_command("flush", interactive=False, verbosity=0)
    assert AttributionRule.objects.count() == len(RULES)
