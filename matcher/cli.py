"""The `certmatch` command: a Flask CLI group with the product's commands."""

import os
import sys

from flask import Flask
from flask.cli import FlaskGroup


def register_commands(app: Flask) -> None:
    """Attach every certmatch command to the app's CLI."""
    from matcher.commands import accounts, data, processes

    app.cli.add_command(data.db_group)
    app.cli.add_command(processes.worker_command)
    app.cli.add_command(processes.cron_command)
    app.cli.add_command(processes.demo_command)
    for command in accounts.COMMANDS + data.COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from matcher import create_app

    return create_app()


def main() -> None:
    """Entry point of the `certmatch` console script."""
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        # Demo mode must be known before the app is created (it relaxes SECRET_KEY).
        os.environ["CERTMATCH_DEMO"] = "1"
    cli = FlaskGroup(create_app=_create_app, add_default_commands=True, add_version_option=False)
    cli.main(prog_name="certmatch")


if __name__ == "__main__":
    main()
