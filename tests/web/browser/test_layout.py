"""The layout every page stands on: the home page signed out and for each role."""

from __future__ import annotations

import pytest

from tests.factories import AdminFactory, PatientFactory, SpecialistFactory


def test_home_signed_out(page, axe_check, screenshot):
    page.goto("/")
    assert page.title().endswith("Neuro Clinic") or page.locator(".site-name").is_visible()
    for link in ("Find a visit", "Sign in", "Sign up"):
        assert page.get_by_role("link", name=link).first.is_visible()
    axe_check(page)
    screenshot(page, "home")


def test_home_signed_out_on_a_phone(phone_page, axe_check, screenshot):
    phone_page.goto("/")
    axe_check(phone_page)
    screenshot(phone_page, "home")


def test_skip_link_is_first_and_visible_on_focus(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.is_visible()


@pytest.mark.parametrize(
    ("factory", "links", "name"),
    [
        (lambda: PatientFactory().user, ["Find a visit", "My visits", "Profile"], "home-patient"),
        (lambda: SpecialistFactory().user, ["My week", "Hours", "Time off"], "home-specialist"),
        (lambda: AdminFactory(), ["Admin"], "home-admin"),
    ],
)
def test_home_signed_in_links_the_roles_pages(page, sign_in, axe_check, screenshot, factory, links, name):
    user = factory()
    sign_in(page, user)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    for link in links:
        assert nav.get_by_role("link", name=link).is_visible()
    assert nav.get_by_role("button", name="Sign out").is_visible()
    axe_check(page)
    screenshot(page, name)
