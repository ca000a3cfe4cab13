"""One real Celery worker for the notifications benchmark, and where the CPU went meanwhile.

`Worker` starts `celery -A config worker --pool=prefork --concurrency=N -I bench.noop` in a
session of its own, waits until it answers a ping on the broker, and stops it on exit, always:
a warm shutdown first (SIGTERM to the main process), then SIGKILL to the process group the
benchmark made for it, so a pool child can never outlive the run.

`CpuMeter` reads, between two instants, the CPU time of the worker (main process and pool
children), of PostgreSQL (every backend alive, plus what the postmaster reaped from backends
that exited meanwhile: a worker that reconnects for every task leaves only the latter), of
Redis, of this process, and the machine's busy time: enough to tell which one a run waits on,
and whether something else on the machine (a test suite, say) took its share meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import proc

ROOT = Path(__file__).resolve().parent.parent


class Worker:
    def __init__(self, *, env: dict[str, str], concurrency: int, log_path: Path) -> None:
        self.hostname = f"bench-notifications-{os.getpid()}@{socket.gethostname()}"
        self.log_path = log_path
        self.command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "-I",
            "bench.noop",
            "--hostname",
            self.hostname,
            "--loglevel=WARNING",
        ]
        self.env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "config.settings"}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> Worker:
        from config.celery import app

        log = self.log_path.open("wb")
        # A session of its own: its process group id is its pid, which lets __exit__ reach the
        # pool children by that id alone.
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"the worker exited with {self.process.returncode}; see {self.log_path}"
                    )
                if app.control.ping(destination=[self.hostname], timeout=1.0):
                    return self
            raise RuntimeError(f"the worker did not answer a ping within 60 s; see {self.log_path}")
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: the pool finishes what it holds
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever of its group is left
        if self.process.poll() is None:
            self.process.wait()


# --- CPU accounting ----------------------------------------------------------------------------


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def _machine_busy_s() -> float:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / proc.TICK


def machine_busy(seconds: float = 1.0) -> float:
    """The share of all cores busy over the next `seconds`: other work skews every figure."""
    before, t0 = _machine_busy_s(), time.monotonic()
    time.sleep(seconds)
    return (_machine_busy_s() - before) / ((time.monotonic() - t0) * (os.cpu_count() or 1))


@dataclass(frozen=True)
class CpuReading:
    worker: float
    postgres: float
    redis: float
    bench: float
    machine: float
    at: float

    def __sub__(self, other: CpuReading) -> CpuReading:
        return CpuReading(
            worker=self.worker - other.worker,
            postgres=self.postgres - other.postgres,
            redis=self.redis - other.redis,
            bench=self.bench - other.bench,
            machine=self.machine - other.machine,
            at=self.at - other.at,
        )

    def describe(self, per: int, unit: str) -> str:
        """CPU ms per unit of work, and the machine's busy share of its cores."""
        cores = os.cpu_count() or 1
        n = max(1, per)
        ours = self.worker + self.postgres + self.redis + self.bench
        return (
            f"CPU per {unit}: worker {self.worker * 1000 / n:.2f} ms, PostgreSQL {self.postgres * 1000 / n:.2f} ms, "
            f"Redis {self.redis * 1000 / n:.2f} ms, this process {self.bench * 1000 / n:.2f} ms; "
            f"machine busy {self.machine / (self.at * cores):.0%} of {cores} cores over {self.at:.1f} s, "
            f"{max(0.0, self.machine - ours) / self.at:.0%} of a core outside these"
        )


class CpuMeter:
    def __init__(self, worker_pid: int) -> None:
        self.worker_pid = worker_pid

    def read(self) -> CpuReading:
        worker = postgres = redis = 0.0
        for pid in proc.pids():
            fields = proc.stat(pid)
            if not fields:
                continue
            comm = _comm(pid)
            if pid == self.worker_pid or int(fields[1]) == self.worker_pid:
                worker += proc.cpu_s(fields)
            elif comm.startswith("postgres"):
                # The postmaster (its parent is not a postgres) also counts the backends it reaped.
                postmaster = not _comm(int(fields[1])).startswith("postgres")
                postgres += proc.cpu_s(fields, reaped=postmaster)
            elif comm.startswith("redis-server"):
                redis += proc.cpu_s(fields)
        return CpuReading(
            worker=worker,
            postgres=postgres,
            redis=redis,
            bench=time.process_time(),
            machine=_machine_busy_s(),
            at=time.monotonic(),
        )
