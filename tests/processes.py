"""Real worker processes for tests and fault runs: started, and killed without mercy."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`python -m worker` in a process group of its own, quiet."""
    return subprocess.Popen(
        [sys.executable, "-m", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and every process it started.

    RQ starts its job process (the work horse) in a session of its own, so killing the
    worker's process group is not enough: its descendants are killed one by one too.
    """
    try:
        family = [*psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for child in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    process.wait(timeout=10)
    psutil.wait_procs(family, timeout=10)


def job_running(process: subprocess.Popen[bytes]) -> bool:
    """True while the worker has a job process (a build) running."""
    try:
        return bool(psutil.Process(process.pid).children())
    except psutil.NoSuchProcess:
        return False


def run_burst(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m worker --burst` until the queues are empty; it must end cleanly."""
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--burst"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done
