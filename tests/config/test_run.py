"""`make run` on a port of one's own: `PORT` (default 8000) reaches the web process that honcho
starts from the Procfile, the address the Makefile prints, and the links the worker writes.

The Makefile's recipe is read with `make -n` (nothing runs); its honcho command line is parsed by
honcho's own parser and the Procfile's web line expanded by a shell with the environment honcho
gives it, as `make run` would start it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from honcho.command import map_from
from honcho.command import parser as honcho_parser
from honcho.environ import Env, expand_processes, parse_procfile

ROOT = Path(__file__).resolve().parents[2]
HONCHO = ".venv/bin/honcho"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "PROCESSES", "PUBLIC_BASE_URL")}
    return {**env, **extra}


def make_run(*args: str) -> list[str]:
    """The commands `make run` would run, one a line (continuations joined), without running them."""
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dry.returncode == 0, dry.stderr
    return dry.stdout.replace("\\\n", "").splitlines()


def honcho_line(lines: list[str]) -> str:
    (line,) = [line for line in lines if f"{HONCHO} start" in line]
    return line


def in_honcho_env(line: str, script: str, **env: str) -> str:
    """Run `script` where the line would start honcho: with the variables the line sets."""
    replaced = line.replace(HONCHO, f"sh -c {shlex.quote(script)}", 1)
    ran = subprocess.run(
        ["sh", "-c", replaced], cwd=ROOT, env=clean_env(**env), capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip()


def web_command(line: str) -> str:
    """The web process's command line as honcho starts it: the processes in the order they are
    named (all of the Procfile's without a name), each given PORT from `-p`, 100 apart."""
    args = honcho_parser.parse_args(shlex.split(line.split(HONCHO, 1)[1]))
    procfile = parse_procfile((ROOT / "Procfile").read_text()).processes
    chosen = {name: procfile[name] for name in args.processes} if args.processes else procfile
    (web,) = [p for p in expand_processes(chosen, port=Env(map_from(args)).port) if p.name == "web.1"]
    echoed = subprocess.run(
        ["sh", "-c", f"echo {web.cmd}"], env={**clean_env(), **web.env}, capture_output=True, text=True
    )
    return echoed.stdout.strip()


def test_make_run_serves_on_port_8000_by_default():
    lines = make_run()
    assert web_command(honcho_line(lines)) == "python manage.py runserver 127.0.0.1:8000 --noreload"
    assert any(
        "Open http://127.0.0.1:8000/  (API docs: http://127.0.0.1:8000/api/docs/" in line for line in lines
    )


def test_make_run_serves_on_the_port_given():
    lines = make_run("PORT=8123")
    assert web_command(honcho_line(lines)) == "python manage.py runserver 127.0.0.1:8123 --noreload"
    (opened,) = [line for line in lines if "Open http" in line]
    assert "8000" not in opened
    assert "http://127.0.0.1:8123/api/docs/" in opened and "http://127.0.0.1:8123/admin/queue/" in opened


def test_the_web_keeps_the_port_when_some_processes_are_named():
    # honcho numbers the ports in the order the processes are named: web must come first.
    line = honcho_line(make_run("PORT=8123", "PROCESSES=beat web"))
    assert web_command(line) == "python manage.py runserver 127.0.0.1:8123 --noreload"
    assert "worker" not in line


def test_links_in_messages_follow_the_port_unless_set():
    line = honcho_line(make_run("PORT=8123"))
    assert in_honcho_env(line, 'echo "$PUBLIC_BASE_URL"') == "http://127.0.0.1:8123"
    kept = in_honcho_env(line, 'echo "$PUBLIC_BASE_URL"', PUBLIC_BASE_URL="https://visits.example")
    assert kept == "https://visits.example"


def test_the_readme_says_how_to_pick_the_port():
    assert "make run PORT=" in (ROOT / "README.md").read_text()
