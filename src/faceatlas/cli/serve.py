"""`faceatlas serve` and `faceatlas keys`: the HTTP service and its API keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import DbOpt, JsonOpt, db_path
from faceatlas.cli.output import emit_json, esc, out_console, warn
from faceatlas.store import Atlas

keys_app = typer.Typer(help="API keys for the REST service.", no_args_is_help=True)


def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Bind address; anything but loopback requires API keys.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    root: Annotated[
        list[Path] | None, typer.Option("--root", help="Folder POST /v1/scan may read (repeatable).")
    ] = None,
    require_keys: Annotated[bool, typer.Option("--require-keys", help="Ask for keys even on loopback.")] = False,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option("--allowed-host", help="Host name accepted besides 127.0.0.1/localhost/[::1] (repeatable)."),
    ] = None,
    max_upload_mb: Annotated[int, typer.Option(min=1, help="Largest accepted photo upload, MiB.")] = 20,
    max_video_mb: Annotated[int, typer.Option(min=1, help="Largest accepted POST /v1/video upload, MiB.")] = 500,
    timeout: Annotated[float, typer.Option(help="Seconds before a request is abandoned.")] = 60.0,
    processes: Annotated[int, typer.Option(help="Analysis worker processes (default: one per core; 0: threads).")] = -1,
    as_json: JsonOpt = False,
) -> None:
    """Serve the REST API (/v1, OpenAPI at /docs) and the people web page (/)."""
    import uvicorn

    from faceatlas.service import ServiceSettings, create_app

    settings = ServiceSettings(
        db=db_path(db),
        host=host,
        port=port,
        roots=tuple(p.resolve() for p in root or []),
        require_keys=True if require_keys else None,
        allowed_hosts=tuple(allowed_host or ()),
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        max_video_bytes=max_video_mb * 1024 * 1024,
        request_timeout_s=timeout,
    )
    if processes >= 0:
        from dataclasses import replace

        settings = replace(settings, analysis_processes=processes)
    if settings.keys_required:
        with Atlas(settings.db) as atlas:
            if not [k for k in atlas.keys.list() if not k.revoked]:
                warn("keys are required on this address and none exist: run `faceatlas keys create --role admin`")
    keys = "required" if settings.keys_required else "not required"
    if as_json:  # the address as JSON for a supervisor, before the server's own log
        emit_json({"url": f"http://{host}:{port}", "db": str(settings.db), "keys_required": settings.keys_required})
    else:
        out_console.print(f"faceatlas on http://{esc(host)}:{port}  (db {esc(settings.db)}; keys {keys})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option(help="read | admin")] = "read",
    label: Annotated[str | None, typer.Option(help="A note to recognise the key by.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a key; it is shown once (only its hash is stored)."""
    if role not in ("read", "admin"):
        raise typer.BadParameter("role must be read or admin")
    with Atlas(db_path(db)) as atlas, atlas.transaction():
        key = atlas.keys.create(role, label)
    if as_json:
        emit_json({"key": key, "role": role})
    else:
        out_console.print(key)


@keys_app.command("list")
def list_keys(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Keys by id, prefix and role (never the secret)."""
    with Atlas(db_path(db)) as atlas:
        rows = [k.__dict__ for k in atlas.keys.list()]
    if as_json:
        emit_json(rows)
    else:
        for r in rows:
            state = "revoked" if r["revoked"] else "active"
            out_console.print(f"{r['id']:>4}  {esc(r['prefix'])}…  {r['role']:<5}  {state}  {esc(r['label'] or '')}")


@keys_app.command("revoke")
def revoke(key_id: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Revoke a key by id."""
    with Atlas(db_path(db)) as atlas, atlas.transaction():
        ok = atlas.keys.revoke(key_id)
    if not ok:
        if as_json:
            emit_json({"error": f"no key with id {key_id}"})
        else:
            out_console.print(f"[red]error[/red] no key with id {key_id}")
        raise typer.Exit(2)
    if as_json:
        emit_json({"revoked": key_id})
    else:
        out_console.print(f"key {key_id} revoked")
