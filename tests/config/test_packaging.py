"""The image carries everything: the wheel `pip install .` builds holds every package of the
repository with its templates, static files and translations, and the Dockerfile hands it
every one of them.

The wheel is built by pip from a copy of the working tree, as the Dockerfile builds it, so a
file only has to exist to be expected: a package or template that pyproject.toml's packages or
package data leave out fails here, not in production. The copy keeps a stale `build/` of the
tree from hiding a missing file.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What is not the product: the test suite and the benchmarks.
NOT_SHIPPED = {"tests", "bench"}
# What tools leave behind: at the root of the tree, and anywhere in it.
LEFT_AT_ROOT = [".*", "var", "build", "dist", "*.egg-info"]
LEFT_ANYWHERE = ["__pycache__", "*.pyc", "node_modules"]
# A package's files that are not Python but must reach the server.
DATA_FOLDERS = {"templates", "static", "locale"}


def top_level_packages(root: Path = ROOT) -> list[str]:
    return sorted(
        path.parent.name
        for path in root.glob("*/__init__.py")
        if path.parent.name not in NOT_SHIPPED and not path.parent.name.startswith(".")
    )


def product_files(root: Path) -> set[str]:
    """Every module and every template, static file and translation of the packages under
    `root`, as paths inside a wheel (`web/templates/admin/queue/queue.html`)."""
    files = set()
    for package in top_level_packages(root):
        for path in (root / package).rglob("*"):
            relative = path.relative_to(root)
            if not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc":
                continue
            if path.suffix == ".py" or DATA_FOLDERS & set(relative.parts):
                files.add(relative.as_posix())
    return files


def left_behind(folder: str, names: list[str]) -> set[str]:
    patterns = [*LEFT_ANYWHERE, *(LEFT_AT_ROOT if Path(folder) == ROOT else [])]
    return {name for name in names if any(fnmatch.fnmatch(name, pattern) for pattern in patterns)}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("source") / "neuroclinic"
    shutil.copytree(ROOT, copy, ignore=left_behind)
    return copy


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The names in the wheel pip builds of `source`, with build isolation as `pip install .` in
    the Dockerfile builds it: by the backend pyproject.toml asks for (the venv's own setuptools
    may be too old to build a wheel at all)."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = out.glob("neuroclinic-*.whl")
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def test_the_packages_are_the_ones_the_image_must_carry(source):
    # Guards the two tests below against finding nothing to check.
    assert {"config", "core", "clinic", "scheduling", "notifications", "api", "web"} <= set(
        top_level_packages(source)
    )
    assert any("/templates/" in name for name in product_files(source))


def test_every_package_and_module_is_in_the_wheel(source, wheel):
    modules = {name for name in product_files(source) if name.endswith(".py")}
    assert sorted(modules - wheel) == []


def test_every_template_static_file_and_translation_is_in_the_wheel(source, wheel):
    data = {name for name in product_files(source) if not name.endswith(".py")}
    assert sorted(data - wheel) == []


def test_the_wheel_ships_the_compiled_translations(source, wheel):
    # Django reads only the .mo files: without them the pages and messages stay English.
    compiled = {name for name in product_files(source) if name.endswith(".mo")}
    assert compiled, "no compiled catalogue in the tree (make messages)"
    assert sorted(compiled - wheel) == []


def test_the_wheel_holds_neither_tests_nor_benchmarks(source, wheel):
    shipped = {name.split("/", 1)[0] for name in wheel if ".dist-info/" not in name}
    assert shipped == set(top_level_packages(source))


# --- The Dockerfile -----------------------------------------------------------------------------


def dockerfile_instructions() -> list[list[str]]:
    """Each instruction of the Dockerfile as words, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def dockerignored(name: str) -> bool:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip().strip("/") for line in lines if line.strip() and not line.startswith(("#", "!"))]
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def copied(name: str) -> bool:
    """Whether the image's build context reaches `name` through a COPY."""
    for words in dockerfile_instructions():
        if words[0].upper() != "COPY":
            continue
        sources = [
            word.removeprefix("./").rstrip("/") or "." for word in words[1:-1] if not word.startswith("--")
        ]
        if name in sources or ("." in sources and not dockerignored(name)):
            return True
    return False


@pytest.mark.parametrize("name", [*top_level_packages(), "pyproject.toml", "manage.py"])
def test_the_dockerfile_copies_every_package(name):
    assert copied(name), f"the Dockerfile never copies {name} into the image"


def test_the_dockerfile_installs_the_project():
    runs = [" ".join(words[1:]) for words in dockerfile_instructions() if words[0].upper() == "RUN"]
    assert any(re.search(r"\bpip install\b[^&;]*\s\.(\s|$)", run) for run in runs), runs


def test_the_image_collects_the_static_files():
    # WhiteNoise serves STATIC_ROOT only: without collectstatic the image has no admin CSS and no
    # dashboard stylesheet (the page may not style itself inline: the CSP forbids it).
    runs = [" ".join(words[1:]) for words in dockerfile_instructions() if words[0].upper() == "RUN"]
    assert any(re.search(r"\bmanage\.py collectstatic --noinput\b", run) for run in runs), runs


def test_the_image_leaves_out_the_venv_var_git_and_local_builds():
    for name in (".venv", "var", ".git", "build", "neuroclinic.egg-info", ".env"):
        assert dockerignored(name), name
