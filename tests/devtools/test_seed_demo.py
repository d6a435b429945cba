"""The demo world: seeding twice changes nothing, and its published API key works as printed."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from devtools.management.commands.seed_demo import DEMO_API_KEY
from identity.models import ApiKey, Enterprise, User
from mandates.models import Mandate

pytestmark = pytest.mark.django_db


def test_seeding_twice_is_idempotent_and_the_demo_key_declares_for_the_bakery(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (User.objects.count(), Enterprise.objects.count(), ApiKey.objects.count())
    call_command("seed_demo", stdout=io.StringIO())

    assert (User.objects.count(), Enterprise.objects.count(), ApiKey.objects.count()) == counts
    assert DEMO_API_KEY in out.getvalue()
    employers = Client().get("/api/v1/employers/", headers={"Authorization": f"Bearer {DEMO_API_KEY}"}).json()
    assert {(e["name"], e["through_mandate"]) for e in employers} == {
        ("Secrétariat Social Horizon ASBL", False),
        ("Boulangerie Dupont SRL", True),
    }


@pytest.mark.time_machine(datetime.datetime(2028, 2, 29, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_seeding_on_29_february_gives_the_two_year_mandate_an_end_that_exists(settings):
    settings.DEBUG = True

    call_command("seed_demo", stdout=io.StringIO())

    assert list(Mandate.objects.values_list("starts_on", "ends_on")) == [
        (datetime.date(2028, 2, 29), datetime.date(2030, 2, 28))
    ]


def test_the_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()
