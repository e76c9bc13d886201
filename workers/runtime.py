"""Give jobs an application context, whichever process runs them."""

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, has_app_context

_app: Flask | None = None


def get_app() -> Flask:
    """Return this process's app, creating it on first use (e.g. under a bare `rq worker`)."""
    global _app
    if _app is None:
        from matcher import create_app

        _app = create_app()
    return _app


def with_app_context(func: Callable) -> Callable:
    """Run the job inside an app context, reusing the caller's when there is one."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return func(*args, **kwargs)
        with get_app().app_context():
            return func(*args, **kwargs)

    return wrapper
