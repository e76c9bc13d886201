"""Account commands (create-admin arrives with the accounts work)."""

import click

COMMANDS: list[click.Command] = []
