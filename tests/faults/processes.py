"""Start, kill and stop the product's processes: gunicorn, `certmatch worker` and `cron`."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass; tell whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


class Processes:
    """The processes one test started; each in its own process group, logged to a file."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = env
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.running: dict[str, subprocess.Popen] = {}
        self._started = 0

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        """Start `argv` as `name` (replacing a dead one of that name), output to logs/name.log."""
        self._started += 1
        with open(self.logs / f"{name}.log", "a") as log:
            log.write(f"---- start #{self._started}: {' '.join(argv)}\n")
            log.flush()
            process = subprocess.Popen(
                argv,
                env={**self.env, **env},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own group: a kill takes the RQ work-horse (or gunicorn's workers) along.
                start_new_session=True,
            )
        self.running[name] = process
        return process

    def certmatch(self, command: str, *, name: str | None = None, **env: str) -> subprocess.Popen:
        """Start `certmatch worker` or `certmatch cron`."""
        argv = [sys.executable, "-m", "matcher.cli", command]
        return self.start(name or command, argv, **env)

    def gunicorn(self, port: int, *, workers: int = 2, **env: str) -> subprocess.Popen:
        """Start gunicorn serving wsgi:app on 127.0.0.1:`port`."""
        argv = [
            str(BIN / "gunicorn"),
            "--workers", str(workers),
            "--bind", f"127.0.0.1:{port}",
            "--graceful-timeout", "5",
            "wsgi:app",
        ]  # fmt: skip
        return self.start("web", argv, **env)

    def kill(self, name: str) -> None:
        """SIGKILL a process and all its children, as a crash or the OOM killer would.

        RQ's work-horse runs in a process group of its own: it is killed by pid, with its parent.
        """
        _kill(self.running[name])

    def stop(self, name: str, timeout: float = 20) -> int | None:
        """SIGTERM a process group, SIGKILL it if it lingers; return the exit status."""
        process = self.running.pop(name, None)
        if process is None:
            return None
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                return process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill(process)
        return process.wait(timeout=30)

    def stop_all(self) -> None:
        """Stop every process still running."""
        for name in list(self.running):
            self.stop(name)

    def alive(self, name: str) -> bool:
        """Tell whether the process called `name` still runs."""
        process = self.running.get(name)
        return process is not None and process.poll() is None

    def log(self, name: str, tail: int = 4000) -> str:
        """The end of a process's output, for a failing assertion's message."""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""


def _children(pid: int) -> list[int]:
    """The pids whose parent is `pid`, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (in parentheses) may hold spaces: the fields after it are fixed.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _kill(process: subprocess.Popen) -> None:
    children = _children(process.pid)
    _signal_group(process, signal.SIGKILL)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
