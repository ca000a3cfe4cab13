"""The catalogues: every app's Spanish .po has every string its code and templates mark, each
translated, and the .mo committed beside it is the .po compiled (Django reads only the .mo: a .po
edited and not compiled changes nothing on the server). Uses GNU gettext's tools, as
`make messages` does; the wheel test (test_packaging.py) checks that the .mo files ship."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
# The apps whose strings are marked for translation (the Makefile's LOCALE_APPS).
APPS = ["clinic", "notifications", "scheduling", "web"]
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
CATALOGUES = [
    ROOT / app / "locale" / language / "LC_MESSAGES" / "django.po" for app in APPS for language in LANGUAGES
]


@pytest.fixture(scope="module", autouse=True)
def gettext_tools() -> None:
    if not shutil.which("msgfmt"):
        pytest.fail("GNU gettext is missing (apt-get install gettext): .ci/run installs it")


def ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_every_app_with_marked_strings_has_a_catalogue_for_every_language():
    assert sorted(ROOT.glob("*/locale/*/LC_MESSAGES/django.po")) == sorted(CATALOGUES)


@pytest.mark.parametrize("po", CATALOGUES, ids=ids)
def test_every_message_is_translated(po: Path):
    checked = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C"},
    )
    assert checked.returncode == 0, checked.stderr
    assert "untranslated" not in checked.stderr and "fuzzy" not in checked.stderr, checked.stderr


@pytest.mark.parametrize("po", CATALOGUES, ids=ids)
def test_the_committed_mo_is_the_po_compiled(po: Path, tmp_path: Path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(po)], check=True)
    committed = po.with_suffix(".mo")
    assert committed.is_file(), f"{ids(committed)} is missing: run make messages and commit it"
    with committed.open("rb") as old, compiled.open("rb") as new:
        assert gettext.GNUTranslations(old)._catalog == gettext.GNUTranslations(new)._catalog, (  # type: ignore[attr-defined]
            f"{ids(po)} changed since it was compiled: run make messages and commit the .mo"
        )


@pytest.mark.parametrize("po", CATALOGUES, ids=ids)
def test_the_catalogue_has_every_string_the_app_marks(po: Path, tmp_path: Path):
    app = po.relative_to(ROOT).parts[0]
    copy = tmp_path / app
    shutil.copytree(ROOT / app, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    language = po.parts[-3]
    (copy / "locale").mkdir()  # where makemessages writes, as in the app itself
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "makemessages", "--locale", language, "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    fresh = copy / "locale" / language / "LC_MESSAGES" / "django.po"
    # msgcmp: every msgid of the fresh extraction must be in the committed catalogue.
    compared = subprocess.run(
        ["msgcmp", "--use-untranslated", str(po), str(fresh)], capture_output=True, text=True
    )
    assert compared.returncode == 0, f"run make messages and translate: {compared.stderr}"


@pytest.mark.parametrize("po", CATALOGUES, ids=ids)
def test_no_catalogue_of_an_app_listed_earlier_hides_a_translation(po: Path):
    # The apps listed first in INSTALLED_APPS win: the admin's "Change" ("Modificar") would
    # replace the language switch's; a msgctxt keeps a msgid apart.
    language = po.parts[-3]
    with po.with_suffix(".mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    hidden = {}
    with translation.override(language):
        for key, wanted in catalogue.items():
            if not key or isinstance(key, tuple):  # the header, and plural forms
                continue
            context, _, msgid = key.rpartition("\x04")
            served = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if served != wanted:
                hidden[key] = served
    assert hidden == {}
