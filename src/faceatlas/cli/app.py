"""The `faceatlas` command: one typer app, commands grouped by concern in sibling modules."""

from __future__ import annotations

import typer

from faceatlas.cli import atlas, evaluate, faces, models, naming, people_app, research, serve, video

app = typer.Typer(
    name="faceatlas",
    help="Offline face identity: detect, analyze, verify, embed, and build an atlas of the people in your photos.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(faces.detect)
app.command()(faces.analyze)
app.command()(faces.verify)
app.command()(faces.embed)
app.command()(video.video)
for command in (
    atlas.scan,
    atlas.search,
    atlas.cluster,
    atlas.people,
    atlas.person,
    atlas.name,
    atlas.merge,
    atlas.move,
    atlas.reject,
    atlas.export,
    atlas.doctor,
):
    app.command()(command)
for command in (naming.name_from_captions, naming.identify, naming.review, naming.label):
    app.command()(command)
app.add_typer(naming.captions_app, name="captions")
for command in people_app.COMMANDS:
    app.command()(command)
app.command("delete-person")(people_app.delete_person)
app.add_typer(people_app.xmp_app, name="xmp")
app.command()(serve.serve)
app.add_typer(serve.keys_app, name="keys")
app.add_typer(models.app, name="models")
app.add_typer(evaluate.app, name="eval")
research.register(app, evaluate.app)


def main(argv: list[str] | None = None) -> None:
    """The ``faceatlas`` command. An error that ends a command (a damaged or read-only atlas, a
    missing model, a file that cannot be written) is one line (a JSON object under ``--json``), exit 2."""
    import sqlite3
    import sys

    from faceatlas.cli.output import fatal, safe_stdio
    from faceatlas.errors import FaceAtlasError

    safe_stdio()
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="faceatlas")
    except (FaceAtlasError, sqlite3.Error, OSError) as exc:
        fatal(exc, "--json" in args)
