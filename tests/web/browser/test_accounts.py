"""A person's accounts in a real browser: sign up (an error first, beside its field), sign out,
sign in, reset a forgotten password from the emailed link; axe on every page, screenshots at
1280 and 390 px, and the CSP holding throughout (the `page` fixtures fail on a violation)."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from clinic.models import User
from tests.factories import PASSWORD, PatientFactory

NEW_PASSWORD = "a-long-Passphrase-7"


def _check(page, axe_check, screenshot, name):
    axe_check(page)
    screenshot(page, name)


def _fill_signup(page, password):
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Byron")
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_label("Mobile phone").fill("+12125550199")
    page.get_by_label("State you live in").select_option("NY")
    page.get_by_label("Time zone").select_option("America/Chicago")


def test_sign_up_out_in_and_reset_a_password(page, axe_check, screenshot):
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Sign up").click()
    page.wait_for_url("**/signup/")
    _check(page, axe_check, screenshot, "signup")

    # A common password: the API's rule, shown beside the password field.
    _fill_signup(page, "12345678")
    page.get_by_role("button", name="Create my account").click()
    # Beside the field, and its accessible description (what a screen reader says on it).
    expect(page.get_by_label("Password")).to_have_accessible_description(re.compile("too common"))
    assert page.get_by_label("First name").input_value() == "Ada"  # what was typed stays
    _check(page, axe_check, screenshot, "signup-error")

    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(page.url.replace("/signup/", "/"))
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_contain_text("America/Chicago")
    assert User.objects.get(email="ada@example.com").patient.state == "NY"
    _check(page, axe_check, screenshot, "signed-up")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("main").get_by_role("link", name="Sign in")).to_be_visible()

    # Sign in: a wrong password first, then the right one.
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct email and password")
    _check(page, axe_check, screenshot, "login-error")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Forgotten password: the emailed link sets a new one.
    page.goto("/accounts/login/")
    _check(page, axe_check, screenshot, "login")
    page.get_by_role("link", name="Forgot your password?").click()
    _check(page, axe_check, screenshot, "password-reset")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    _check(page, axe_check, screenshot, "password-reset-sent")
    assert len(mail.outbox) == 1
    # The link is on PUBLIC_BASE_URL; the live server has a port of its own.
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page.goto(link.group(1))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    _check(page, axe_check, screenshot, "password-reset-confirm")
    page.get_by_label("New password", exact=True).fill("another-Passphrase-9")
    page.get_by_label("New password confirmation").fill("another-Passphrase-9")
    page.get_by_role("button", name="Save my new password").click()
    expect(page.get_by_role("heading", name="Password saved")).to_be_visible()
    _check(page, axe_check, screenshot, "password-reset-done")
    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("another-Passphrase-9")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()


def test_the_account_pages_on_a_phone(phone_page, axe_check, screenshot):
    page = phone_page
    page.goto("/signup/")
    _fill_signup(page, "12345678")
    page.get_by_label("Mobile phone").fill("555")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_label("Mobile phone")).to_have_accessible_description(re.compile("valid phone number"))
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _check(page, axe_check, screenshot, "signup-error")
    for path, name in [
        ("/signup/", "signup"),
        ("/accounts/login/", "login"),
        ("/accounts/password-reset/", "password-reset"),
        ("/accounts/password-reset/sent/", "password-reset-sent"),
        ("/accounts/reset/done/", "password-reset-done"),
    ]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        _check(page, axe_check, screenshot, name)
    user = PatientFactory().user
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    _check(page, axe_check, screenshot, "signed-up")


def test_a_locked_out_sign_in_is_a_page_that_says_what_to_do(page, axe_check, screenshot):
    user = PatientFactory().user
    page.goto("/accounts/login/")
    for _ in range(5):
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill("wrong-password")
        page.get_by_role("button", name="Sign in").click()
        if page.get_by_role("heading", name="Too many attempts").count():
            break
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    expect(page.get_by_role("link", name="Reset your password")).to_be_visible()
    _check(page, axe_check, screenshot, "locked-out")
