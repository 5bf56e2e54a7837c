"""Output helpers shared by the commands: JSON on stdout, a progress bar only on a terminal."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape

err_console = Console(stderr=True, soft_wrap=True)
out_console = Console(soft_wrap=True)


def esc(value: Any) -> str:
    """``value`` as text safe inside rich markup: a path such as ``[bold]x.jpg`` or ``a[/i]b.jpg`` is
    shown as it is, never taken for a style (every user-provided string printed by rich goes through
    this)."""
    return escape(str(value))


def safe_stdio() -> None:
    """Text output never fails on a file name that is not UTF-8: its undecodable bytes (``\\udcXX``
    surrogates in Python) are written as ``\\udcXX``, as in the JSON output."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def emit_json(data: Any) -> None:
    """Strict JSON on stdout: NaN and infinities become null, non-ASCII is escaped (a file name that is
    not UTF-8 shows its undecodable bytes as ``\\udcXX``)."""
    try:
        text = json.dumps(data, indent=2, default=_default, allow_nan=False)
    except ValueError:  # a NaN or infinity somewhere
        text = json.dumps(_finite(data), indent=2, default=_default, allow_nan=False)
    sys.stdout.write(text + "\n")


def _finite(obj: Any) -> Any:
    import math

    import numpy as np

    if isinstance(obj, np.ndarray | np.generic):
        obj = obj.tolist()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def show_progress(as_json: bool) -> bool:
    """Bars are drawn only for humans: not with --json, not when stderr is piped."""
    return not as_json and sys.stderr.isatty()


class Bar:
    """What ``progress_bar`` yields: call it to advance; ``set_total`` once the work is known."""

    def __init__(self, progress: Any = None, task: Any = None) -> None:
        self._progress, self._task = progress, task

    def __call__(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def set_total(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)


@contextmanager
def progress_bar(total: int | None, label: str, enabled: bool) -> Iterator[Bar]:
    """Yields a :class:`Bar`; draws a rich progress bar on stderr when ``enabled``."""
    if not enabled:
        yield Bar()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as prog:
        yield Bar(prog, prog.add_task(label, total=total))


def warn(message: str) -> None:
    """A one-line problem report on stderr (for a bad file: the path and the reason)."""
    err_console.print(f"[yellow]skip[/yellow] {esc(message)}", highlight=False, soft_wrap=True)


def fatal(exc: BaseException, as_json: bool) -> None:
    """End the command with a one-line reason (``{"error": ...}`` on stdout under --json), exit 2."""
    import sqlite3

    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        if "readonly" in message or "read-only" in message:
            message = f"the atlas is read-only: this command changes it ({message})"
        else:
            message = f"atlas database error: {message}; run `faceatlas doctor`"
    elif isinstance(exc, OSError) and exc.strerror:
        message = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    if as_json:
        emit_json({"error": message})
    else:
        err_console.print(f"[red]error[/red] {esc(message)}", highlight=False)
    raise SystemExit(2)
