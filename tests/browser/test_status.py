"""A visitor reads the status page from the footer, without JavaScript, in French then in English;
an empty system says it has nothing to show yet; a supervisor reads the performance indicators
in the back office. Every page is checked with axe."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from portal.models import DependencyCheck, ServiceMinute
from portal.status.services import minute_start
from tests.browser.conftest import NewPage, assert_accessible
from tests.browser.test_journeys import _in, _sign_in
from tests.identity import factories


def _measurements() -> None:
    """A day of checks (one minute without), and a few services' requests, up to now."""
    end = minute_start(timezone.now())
    checks, minutes = [], []
    for back in range(1, 24 * 60 + 1):
        minute = end - datetime.timedelta(minutes=back)
        if back != 42:
            checks.append(
                DependencyCheck(
                    minute=minute, checked_at=minute, cache_up=True, broker_up=True, work_waiting=0, work_on_time=True
                )
            )
        if back % 10 == 0:
            minutes.append(ServiceMinute(service="file", minute=minute, requests=120, fast=119, server_errors=0))
            minutes.append(ServiceMinute(service="declarations", minute=minute, requests=30, fast=30, server_errors=0))
    DependencyCheck.objects.bulk_create(checks)
    ServiceMinute.objects.bulk_create(minutes)


def test_a_visitor_reads_the_status_page_in_french_and_in_english(new_page: NewPage) -> None:
    _measurements()
    visitor = new_page(java_script_enabled=False)
    visitor.goto("/")
    visitor.get_by_role("link", name=_in("fr", "Service status: speed and availability of our online services")).click()

    expect(visitor.get_by_role("heading", level=1)).to_have_text(_in("fr", "Service status"))
    day = visitor.get_by_role("table").first
    expect(day.get_by_role("row", name=_in("fr", "My file and contribution record"))).to_contain_text("99,16")
    expect(visitor.get_by_text(_in("fr", "Right now"))).to_be_visible()
    visitor.get_by_role("button", name="English").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Service status")
    expect(visitor.get_by_role("row", name="My file and contribution record").first).to_contain_text("99.16%")

    checker = new_page()
    checker.goto("/status/")
    assert_accessible(checker)
    checker.get_by_role("button", name="English").click()
    expect(checker.get_by_role("heading", level=1)).to_have_text("Service status")
    assert_accessible(checker)


def test_an_empty_system_says_it_has_nothing_to_show_yet(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/status/")

    expect(page.get_by_text(_in("fr", "Not enough measurements yet for this period.")).first).to_be_visible()
    expect(page.get_by_text(_in("fr", "Measurements have not begun yet."))).to_be_visible()
    assert_accessible(page)


def test_a_supervisor_reads_the_performance_indicators(new_page: NewPage) -> None:
    supervisor = factories.with_totp(factories.UserFactory(is_staff=True))
    supervisor.groups.set([Group.objects.get(name="Supervisor")])
    page = new_page()
    _sign_in(page, supervisor.email, totp_secret=factories.TOTP_SECRET)

    page.goto("/admin/")
    page.get_by_role(
        "link", name=_in("fr", "Declarations on time, money received, reported problems, notifications, bulk files")
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(_in("fr", "Performance indicators"))
    expect(page.get_by_role("heading", name=_in("fr", "Declarations filed on time"))).to_be_visible()
    assert_accessible(page)
