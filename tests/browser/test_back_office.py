"""The back office in a browser, as a superuser and as each staff role: the index, each
application's page, each list, each add page allowed and a change page of every kind pass axe
(the breadcrumbs' and links' contrast included) and show no English of the catalogue on the
French pages. With GUICHET_SCREENSHOTS set, each page is photographed at desktop and phone widths.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page

from identity.models import User
from tests.browser.conftest import (
    PHONE_WIDTH,
    SHOTS,
    NewPage,
    accessibility_check_end,
    accessibility_check_start,
    another_tab,
)
from tests.browser.test_journeys import _sign_in
from tests.core.test_admin_walk import ROLES, World
from tests.identity import factories


def _pages(world: World, staff: User) -> Iterator[tuple[str, str]]:
    """(name, address) of every page ``staff`` may open: the index, the indicators, each
    application's page, then per model its list, its add page and the change page of its sample
    (those of models they may not even view are skipped: tests/core/test_admin_walk.py checks
    that they answer 403)."""
    yield "index", reverse("admin:index")
    yield "kpis", reverse("admin:kpis")
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        if staff.has_module_perms(app_label):
            yield app_label, reverse("admin:app_list", args=[app_label])
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        info = model._meta.app_label, model._meta.model_name
        if not any(staff.has_perm(f"{info[0]}.{action}_{info[1]}") for action in ("view", "change")):
            continue
        sample, _shown = world.samples[model]
        name = "-".join(info)
        yield f"{name}-list", reverse("admin:{}_{}_changelist".format(*info))
        yield f"{name}-add", reverse("admin:{}_{}_add".format(*info))
        yield f"{name}-change", reverse("admin:{}_{}_change".format(*info), args=[sample.pk])


def _photograph(page: Page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, suffix in ((1280, "desktop"), (PHONE_WIDTH, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(SHOTS) / f"back-office-{name}-{suffix}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


# The shape of a page, without its texts and values: the elements with their classes, roles and
# ARIA attributes. A role's page shaped like one already checked is checked already.
_SHAPE = """() => [...document.body.querySelectorAll('*')].map((element) => [
    element.tagName, element.className, element.getAttribute('role'), element.getAttribute('type'),
    ...[...element.attributes].filter((a) => a.name.startsWith('aria-')).map((a) => a.name),
  ].join(' ')).join('\\n')"""


def _walk(new_page: NewPage, world: World, staff: User, *, checked: set[str], photograph: bool) -> list[str]:
    """Open every page as ``staff``; axe on each page of a shape not checked yet. Returns the
    names of the pages opened.

    Two tabs of the same session take turns: while axe works in the page one tab shows (in the
    browser), the other opens the next pages (in the live server); a tab goes to another page
    only once axe's verdict on the page it shows is in."""
    first = new_page()
    _sign_in(first, staff.email, totp_secret=factories.TOTP_SECRET)
    second = another_tab(first)
    tabs, checking = [first, second], {first: False, second: False}
    opened = []
    for name, url in _pages(world, staff):
        page = tabs[0]
        if checking[page]:
            checking[page] = False
            accessibility_check_end(page)
        response = page.goto(url)  # French pages are read for English on the way
        assert response is not None
        # Not theirs: a model's page answers 403, an application without any of theirs 404.
        if response.status == 403 or (response.status == 404 and "-" not in name):
            continue
        assert response.status == 200, url
        opened.append(name)
        if name != "index":
            assert page.locator(".breadcrumbs a").count() >= 1, url
        if photograph:
            _photograph(page, name)
        shape = page.evaluate(_SHAPE)
        if shape not in checked:
            accessibility_check_start(page)
            checking[page] = True
            checked.add(shape)
            tabs.reverse()  # this one is busy: the next page in the other
    for page in tabs:
        if checking[page]:
            accessibility_check_end(page)
    return opened


def test_every_back_office_page_passes_axe_in_french_as_superuser_and_as_each_staff_role(new_page: NewPage) -> None:
    world = World()
    checked: set[str] = set()

    opened = _walk(new_page, world, world.staff, checked=checked, photograph=True)
    assert len(opened) >= 2 * len(admin.site._registry) + 2, opened

    for role in ROLES:
        staff = factories.with_totp(factories.UserFactory(is_staff=True))
        staff.groups.set([Group.objects.get(name=role)])
        opened = _walk(new_page, world, staff, checked=checked, photograph=False)
        assert "index" in opened and any(name.endswith("-change") for name in opened), (role, opened)
