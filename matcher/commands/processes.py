"""Process commands: worker, cron and the one-command demo."""

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from matcher import queue
from matcher.embedded_redis import EmbeddedRedis
from matcher.migrations import upgrade


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker on the app's queues (run as many as needed)."""
    from workers.processes import run_worker

    run_worker(current_app._get_current_object(), burst=burst)


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Run the periodic jobs on RQ's cron scheduler (run exactly one)."""
    from workers.processes import run_cron

    run_cron(current_app._get_current_object())


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def demo_command(host: str, port: int) -> None:
    """Run the whole product on this machine: web, worker, cron, Redis and demo data."""
    _stop_on_signals()
    app = current_app._get_current_object()
    embedded = None
    base_url = os.environ.get("BASE_URL") or f"http://{host}:{port}"
    app.config["BASE_URL"] = base_url
    children: list[subprocess.Popen] = []
    try:
        if not app.config["REDIS_URL"]:
            # A private socket directory: two demos (or a demo and a test run) from the same
            # checkout must not share, or remove, each other's server.
            embedded = EmbeddedRedis()
            embedded.start()
            app.config["REDIS_URL"] = embedded.url
            queue.init_app(app)
        child_env = {
            **os.environ,
            "CERTMATCH_DEMO": "1",
            "REDIS_URL": app.config["REDIS_URL"],
            "BASE_URL": base_url,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": app.config["SECRET_KEY"],
        }
        upgrade(app.config["DATABASE_URL"])
        logins = _seed(app)
        for command in ("worker", "cron"):
            children.append(
                subprocess.Popen([sys.executable, "-m", "matcher.cli", command], env=child_env)
            )
        _print_banner(base_url, logins, embedded)
        # run_simple, not app.run(): Flask ignores app.run() inside a `flask` CLI command.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(children)
        if embedded is not None:
            embedded.stop()
        click.echo("CertMatch demo stopped.")


def _stop_on_signals() -> None:
    """Make Ctrl-C, `kill` and a closed terminal all stop the demo the same clean way.

    SIGTERM and SIGHUP would otherwise end this process alone and orphan the worker, cron and
    embedded Redis; and a shell starting the demo in the background sets SIGINT to ignored.
    """

    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def interrupt(signum, _frame):
        # A second signal must not cut the clean-up short and orphan what is still running.
        for other in stopping:
            signal.signal(other, signal.SIG_IGN)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in stopping:
        # `nohup` ignores SIGHUP on purpose: keep it that way. (SIGINT ignored only means the
        # shell started us in the background; Ctrl-C must still work when sent.)
        if signum == signal.SIGHUP and signal.getsignal(signum) is signal.SIG_IGN:
            continue
        signal.signal(signum, interrupt)


def _seed(app) -> list[tuple[str, str, str]]:
    """Seed demo data; return (role, e-mail, password) rows to print."""
    try:
        from matcher.demo.data import seed_demo
    except ImportError:
        return []
    # The known demo logins only in demo mode (set by `certmatch demo`), never by another route.
    return seed_demo(app, known_logins=app.config["CERTMATCH_DEMO"])


def _print_banner(base_url: str, logins, embedded) -> None:
    click.echo("")
    click.secho(f"CertMatch demo running at {base_url}", bold=True)
    click.echo(f"  request form:  {base_url}/quote")
    click.echo(f"  demo mailbox:  {base_url}/dev/mail")
    for role, email, password in logins:
        click.echo(f"  {role} login: {email} / {password}")
    click.echo("  (two-factor sign-in is optional in the demo, required for admins in production)")
    if embedded is not None:
        click.echo(f"  embedded Redis: {embedded.url}")
    click.echo("Press Ctrl-C to stop everything.")
    click.echo("")


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
