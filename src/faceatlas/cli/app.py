"""The `faceatlas` command: one typer app, commands grouped by concern in sibling modules."""

from __future__ import annotations

import typer

from faceatlas.cli import atlas, evaluate, faces, models, naming, research, serve

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
):
    app.command()(command)
for command in (naming.name_from_captions, naming.identify, naming.review, naming.label):
    app.command()(command)
app.add_typer(naming.captions_app, name="captions")
app.command()(serve.serve)
app.add_typer(serve.keys_app, name="keys")
app.add_typer(models.app, name="models")
app.add_typer(evaluate.app, name="eval")
research.register(app, evaluate.app)


def main() -> None:
    app()
