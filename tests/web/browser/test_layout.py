"""The layout every page stands on: the home page signed out and for each role."""

from __future__ import annotations

import pytest

from tests.factories import AdminFactory, PatientFactory, SpecialistFactory


def test_home_signed_out(page, axe_check, screenshot):
    page.goto("/")
    assert page.title().endswith("Neuro Clinic")
    assert page.get_by_role("banner").get_by_role("link", name="Neuro Clinic").is_visible()
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


def test_the_page_fixtures_catch_a_csp_violation(browser, live_server, transactional_db):
    """The guard every browser test relies on: an inline script or style is refused by the
    policy, and the `page` fixture's teardown fails on the console's report of it."""
    from tests.web.browser.conftest import _open

    pages = _open(browser, live_server, viewport={"width": 1280, "height": 800})
    page = next(pages)
    page.goto("/")
    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'document.title = "inline ran"';
            document.body.appendChild(script);
            document.body.setAttribute('style', 'color: red');
        }"""
    )
    page.wait_for_timeout(200)
    assert page.title() != "inline ran"
    with pytest.raises(AssertionError, match="Content Security Policy"):
        next(pages)


def test_axe_runs_under_the_csp_and_finds_a_violation(page, axe_check):
    """axe-core is injected by Playwright's evaluate, which the page's CSP does not block: it
    really runs, and reports a field without a label."""
    page.goto("/accounts/login/")
    page.evaluate("() => document.querySelector('label[for=id_username]').remove()")
    with pytest.raises(AssertionError, match="label"):
        axe_check(page)


def test_a_missing_page_is_a_page_in_the_sites_look(page, axe_check, screenshot):
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    axe_check(page)
    screenshot(page, "not-found")
