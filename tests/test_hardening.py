"""Regression tests for the hardening issues (14 and 17): each fails on the code before its fix."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from faceatlas.cli.app import app as cli_app
from faceatlas.service import ServiceSettings, create_app
from faceatlas.store import Atlas
from hardening_fixtures import synthetic_atlas

runner = CliRunner()


@pytest.fixture()
def small(tmp_path):
    db, photos = synthetic_atlas(tmp_path)
    return {"db": db, "photos": photos, "root": tmp_path}


@pytest.fixture()
def client(small):
    app = create_app(ServiceSettings(db=small["db"], roots=(small["root"] / "photos",), analysis_processes=0))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _cli(*args: str):
    return runner.invoke(cli_app, list(args))


# --- issue 17.2: blank names -------------------------------------------------------------------


def test_blank_names_refused_on_the_command_line(small):
    db = str(small["db"])
    for args in (["name", "1", "   "], ["label", "3", " \t "], ["name", "1", ""]):
        result = _cli(*args, "--db", db)
        assert result.exit_code == 2, (args, result.output)
        assert "blank" in result.output and len(result.output.strip().splitlines()) == 1
    people = json.loads(_cli("people", "--json", "--db", db).output)
    assert [p["name"] for p in people] == [None]
    assert _cli("name", "1", "  Grace   Hopper ", "--db", db).exit_code == 0
    assert json.loads(_cli("people", "--json", "--db", db).output)[0]["name"] == "Grace Hopper"


def test_blank_names_refused_over_http(client):
    for body in ({"name": "   "}, {"name": ""}, {"name": "\n"}):
        r = client.patch("/v1/people/1", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == "invalid_request"
    assert client.post("/v1/faces/3/label", json={"name": "   "}).status_code == 422
    assert client.get("/v1/people/1").json()["name"] is None
    assert [p["id"] for p in client.get("/v1/people").json()] == [1]  # no person made by the refused label
    assert client.patch("/v1/people/1", json={"name": "  Ada  "}).json()["name"] == "Ada"
    assert client.patch("/v1/people/1", json={"name": None}).json()["name"] is None  # null clears
    r = client.post("/v1/faces/3/label", json={"name": " Ada "})
    assert r.status_code == 200
    with Atlas(client.app.state.settings.db) as atlas:
        assert atlas.people.get(r.json()["person_id"]).name == "Ada"


# --- issue 17.3 and 14.7: thumbnails of missing or escaped photos ------------------------------


def test_thumbnail_of_a_deleted_photo_is_404_and_the_page_shows_a_placeholder(client, small):
    assert client.get("/v1/faces/1/thumbnail.jpg").status_code == 200
    small["photos"][1].unlink()
    r = client.get("/v1/faces/2/thumbnail.jpg")
    assert r.status_code == 404 and r.json()["error"]["code"] == "photo_missing"
    page = client.get("/people/1").text
    assert page.count("/static/photo-missing.svg") >= 2  # every thumbnail falls back to the placeholder
    svg = client.get("/static/photo-missing.svg")
    assert svg.status_code == 200 and "<svg" in svg.text


@pytest.mark.parametrize("with_roots", [True, False])
def test_thumbnail_refuses_a_photo_replaced_by_a_symlink_out(small, tmp_path, with_roots):
    from PIL import Image

    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", (160, 120), (200, 10, 10)).save(outside / "secret.jpg")
    victim = small["photos"][3]
    victim.unlink()
    victim.symlink_to(outside / "secret.jpg")
    roots = (small["root"] / "photos",) if with_roots else ()
    app = create_app(ServiceSettings(db=small["db"], roots=roots, analysis_processes=0))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        r = c.get("/v1/faces/4/thumbnail.jpg")
        assert r.status_code == 403 and r.json()["error"]["code"] == "path_not_allowed"
        assert c.get("/v1/faces/3/thumbnail.jpg").status_code == 200


# --- issue 17.4: boxes behave as tuples, old pickles still load --------------------------------

# BBox(1.5, 2.0, 30.25, 40.0) as pickled (protocol 4) by faceatlas before the change: eval caches hold these
_OLD_BBOX_PICKLE = (
    b"\x80\x04\x95\\\x00\x00\x00\x00\x00\x00\x00\x8c\x0ffaceatlas.types\x94\x8c\x04BBox\x94\x93\x94)\x81\x94}\x94"
    b"(\x8c\x02x1\x94G?\xf8\x00\x00\x00\x00\x00\x00\x8c\x02y1\x94G@\x00\x00\x00\x00\x00\x00\x00\x8c\x02x2\x94G@>@"
    b"\x00\x00\x00\x00\x00\x8c\x02y2\x94G@D\x00\x00\x00\x00\x00\x00ub."
)


def test_bbox_unpacks_and_indexes_like_a_tuple_and_old_pickles_load():
    import pickle

    import numpy as np

    from faceatlas.types import BBox

    box = pickle.loads(_OLD_BBOX_PICKLE)
    assert box == BBox(1.5, 2.0, 30.25, 40.0) and box.width == 28.75
    x1, y1, x2, y2 = box
    assert (x1, y1, x2, y2) == (1.5, 2.0, 30.25, 40.0)
    assert box[0] == 1.5 and box[-1] == 40.0 and box[1:3] == (2.0, 30.25) and len(box) == 4
    assert tuple(box) == (box.x1, box.y1, box.x2, box.y2)
    np.testing.assert_array_equal(np.asarray(box), [1.5, 2.0, 30.25, 40.0])
    with pytest.raises(IndexError):
        box[4]
    assert pickle.dumps(box, protocol=4) == _OLD_BBOX_PICKLE  # the layout itself is unchanged


# --- issue 14.1: a dead analysis worker -------------------------------------------------------


def _png(size: tuple[int, int] = (64, 48)) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(buf, format="PNG")
    return buf.getvalue()


def _kill_workers(app) -> None:
    import os
    import signal

    procs = list(app.state.gate._pool._processes.values())
    assert procs
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
        p.join(timeout=10)


def test_service_recovers_from_a_killed_analysis_worker(small):
    app = create_app(ServiceSettings(db=small["db"], analysis_processes=1, request_timeout_s=120))
    image = {"image": ("x.png", _png())}
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.post("/v1/detect", files=image).json() == {"faces": []}
        _kill_workers(app)  # as the OOM killer would
        r = c.post("/v1/detect", files=image)
        assert r.status_code == 503 and r.json()["error"]["code"] == "worker_lost"
        assert c.post("/v1/detect", files=image).status_code == 200  # a new pool serves the next one
        assert c.get("/healthz").json()["analysis"]["restarts"] == 1
        _kill_workers(app)
        health = c.get("/healthz").json()["analysis"]  # health notices and replaces the pool itself
        assert health["restarts"] == 2 and health["alive"] == 0
        assert c.post("/v1/detect", files=image).status_code == 200
        pool = app.state.gate._pool
        workers = list(pool._processes.values())
    assert all(p.exitcode is not None for p in workers)  # stopping the app ends its workers


# --- issue 14.2: FIFOs, devices, lying sizes -------------------------------------------------


def _exotic_folder(root):
    import os

    root.mkdir()
    os.mkfifo(root / "fifo.jpg")
    (root / "zero.jpg").symlink_to("/dev/zero")
    (root / "null.png").symlink_to("/dev/null")
    return root


def test_fifo_and_device_links_are_refused_without_blocking(tmp_path):
    from faceatlas.engines.plan import file_sha256
    from faceatlas.errors import ImageError
    from faceatlas.io.images import open_image

    folder = _exotic_folder(tmp_path / "odd")
    for name, kind in (("fifo.jpg", "a FIFO"), ("zero.jpg", "a character device"), ("null.png", "a character device")):
        with pytest.raises(ImageError, match=f"not a regular file \\({kind}\\)"):
            open_image(folder / name)
        with pytest.raises(ImageError, match="not a regular file"):
            file_sha256(str(folder / name))


def test_size_limit_is_enforced_while_reading(tmp_path):
    from faceatlas.engines.plan import file_sha256
    from faceatlas.errors import ImageError
    from faceatlas.io.images import ImageLimits, open_image

    lying = tmp_path / "maps.jpg"
    lying.symlink_to("/proc/self/smaps")  # a regular file whose stat size is 0
    with pytest.raises(ImageError, match="over the 0 MiB limit"):
        open_image(lying, ImageLimits(max_bytes=1000))
    with pytest.raises(ImageError, match="limit"):
        file_sha256(str(lying), limit=1000)


def test_scan_of_fifo_and_devices_finishes_and_reports_each(tmp_path):
    from faceatlas.engines import scan

    folder = _exotic_folder(tmp_path / "odd")
    with Atlas(tmp_path / "a.sqlite3") as atlas:
        summary = scan(atlas, [folder], workers=1)
        failures = dict(atlas.images.failures())
    assert summary.analyzed == 3 and len(summary.failed) == 3
    assert sorted(failures) == sorted(str(folder / n) for n in ("fifo.jpg", "null.png", "zero.jpg"))
    assert all(reason.startswith("not a regular file") for reason in failures.values())


def test_huge_sidecar_caption_is_capped(tmp_path):
    from faceatlas.io.captions import MAX_CAPTION_BYTES, sidecar_caption

    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"")
    (tmp_path / "p.jpg.txt").write_text("Ada Lovelace at the lab. " * 400_000)  # 10 MB
    text = sidecar_caption(photo)
    assert text is not None and text.startswith("Ada Lovelace") and len(text.encode()) <= MAX_CAPTION_BYTES


# --- issue 14.3 and 14.8: file names that are not UTF-8 or look like rich markup -------------


def _odd_names_folder(root):
    import os

    from PIL import Image

    root.mkdir()
    raw = os.fsencode(root)
    with open(raw + b"/caf\xe9 \xff.jpg", "wb") as fh:  # Latin-1 bytes: not UTF-8
        fh.write(b"not an image at all")
    (root / "markup_x[").mkdir()
    (root / "markup_x[" / "i]bad.jpg").write_bytes(b"also not an image")  # the path reads markup_x[/i]bad.jpg
    (root / "[bold]x.jpg").write_bytes(b"nor this")
    Image.new("RGB", (8, 8)).save(root / "tiny.png")
    return root


def test_scan_goes_on_past_names_that_are_not_utf8_and_json_shows_udcxx(tmp_path):
    folder = _odd_names_folder(tmp_path / "odd")
    db = str(tmp_path / "a.sqlite3")
    result = _cli("scan", str(folder), "--db", db, "--json", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "caf\\udce9 \\udcff.jpg" in result.output  # the undecodable bytes, as JSON escapes
    summary = json.loads(result.output)
    assert summary["analyzed"] == 4 and len(summary["failed"]) == 4
    with Atlas(db) as atlas:
        failures = dict(atlas.images.failures())
        assert str(folder / "caf\udce9 \udcff.jpg") in failures
        assert len(atlas.images.under(str(folder))) == 4
    again = json.loads(_cli("scan", str(folder), "--db", db, "--json", "--workers", "1").output)
    assert again["skipped_unchanged"] == 4 and again["analyzed"] == 0  # found again by its exact name


def test_text_scan_shows_odd_names_literally(tmp_path):
    import subprocess
    import sys

    folder = _odd_names_folder(tmp_path / "odd")
    proc = subprocess.run(
        [sys.executable, "-m", "faceatlas", "scan", str(folder), "--db", str(tmp_path / "a.sqlite3"), "--workers", "1"],
        capture_output=True,
        timeout=300,
    )
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 0, err
    assert "markup_x[/i]bad.jpg: not an image" in err and "[bold]x.jpg: not an image" in err
    assert "caf\\udce9 \\udcff.jpg: not an image" in err
    assert "4 failed" in proc.stdout.decode("utf-8")


def test_store_api_and_page_handle_a_path_that_is_not_utf8(small):
    import shutil

    odd = small["root"] / "photos" / "caf\udce9.jpg"
    shutil.copy(small["photos"][0], odd)
    with Atlas(small["db"]) as atlas, atlas.transaction():
        atlas.conn.execute(
            "UPDATE images SET path = ? WHERE id = 1", (bytes(odd.__fspath__(), "utf-8", "surrogateescape"),)
        )
    with Atlas(small["db"]) as atlas:
        assert atlas.faces.get(1).image_path == str(odd)
        assert atlas.images.get(1).path == str(odd)
        from faceatlas.store.export import export_rows

        assert str(odd) in {row["image"] for row in export_rows(atlas)}
    app = create_app(ServiceSettings(db=small["db"], analysis_processes=0))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        r = c.get("/v1/people/1")
        assert r.status_code == 200 and "caf\\udce9.jpg" in r.text
        assert r.json()["faces"][0]["image"] == str(odd) or r.json()["faces"][1]["image"] == str(odd)
        assert c.get("/v1/faces/1/thumbnail.jpg").status_code == 200
        page = c.get("/people/1")
        assert page.status_code == 200 and "caf\\udce9.jpg" in page.text


def test_rich_markup_in_names_and_paths_is_shown_literally(small):
    db = str(small["db"])
    assert _cli("name", "1", "[bold]Ada[/bold] [/i]", "--db", db).exit_code == 0
    out = _cli("people", "--db", db).output
    assert "[bold]Ada[/bold] [/i]" in out
    out = _cli("person", "1", "--db", db).output
    assert "[bold]Ada[/bold] [/i]" in out


# --- issue 14.4: big photos, bombs, corrupt AVIF, analyze --json ------------------------------


def png_header(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    """A PNG whose header says ``width`` x ``height`` and whose pixels are missing (tiny on disk)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def corrupt_avif() -> bytes | None:
    import io

    from PIL import Image, features

    if not (features.check("avif") or "AVIF" in Image.SAVE):
        return None
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buf, format="AVIF")
    data = bytearray(buf.getvalue())
    data[209 % len(data)] ^= 0xFF  # a flipped byte in the coded data: the decoder raises RuntimeError
    return bytes(data)


def test_photos_up_to_the_documented_150_mp_open_and_bigger_are_refused_clearly():
    from faceatlas.errors import ImageError
    from faceatlas.io.images import open_image

    image = open_image(png_header(12_000, 9_000))  # 108 MP, a phone's 108 MP sensor (Pillow warns above 89.5)
    assert image.size == (12_000, 9_000)
    with pytest.raises(ImageError, match="over the 150 MP limit"):
        open_image(png_header(16_000, 10_000))  # 160 MP
    with pytest.raises(ImageError, match="decompression bomb|over the 150 MP limit"):
        open_image(png_header(20_000, 20_000))  # 400 MP


def test_corrupt_avif_is_a_bad_image():
    from faceatlas.errors import ImageError
    from faceatlas.io.images import open_image

    data = corrupt_avif()
    if data is None:
        pytest.skip("no AVIF codec in this Pillow")
    with pytest.raises(ImageError):
        open_image(data).full()


def test_analyze_json_is_always_valid_with_one_entry_per_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "phone_108mp.png").write_bytes(png_header(12_000, 9_000))
    (folder / "huge_400mp.png").write_bytes(png_header(20_000, 20_000))
    (folder / "text.jpg").write_text("hello")
    avif = corrupt_avif()
    if avif is not None:
        (folder / "corrupt.avif").write_bytes(avif)
    result = _cli("analyze", str(folder), "--json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    assert len(entries) == len(list(folder.iterdir()))
    assert all(e["error"] and e["faces"] == [] for e in entries)
    by_name = {e["image"].rsplit("/", 1)[1]: e["error"] for e in entries}
    assert "truncated or corrupt" in by_name["phone_108mp.png"]  # read past the header: no bomb warning


def test_rest_answers_422_for_bombs_and_corrupt_avif(client):
    for data in (png_header(20_000, 20_000), png_header(9_000, 9_000), corrupt_avif()):
        if data is None:
            continue
        r = client.post("/v1/detect", files={"image": ("x", data)})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "bad_image"


# --- issue 14.5: body limit while streaming --------------------------------------------------


def _send_chunked(port: int, path: str, total: int, chunk: int = 64 * 1024) -> tuple[int, bytes]:
    """POST ``total`` bytes chunked, stopping as soon as the server answers; (bytes sent, answer)."""
    import select
    import socket

    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
    sent, answer = 0, b""
    piece = f"{chunk:x}\r\n".encode() + b"A" * chunk + b"\r\n"
    try:
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable:
                break
            if writable:
                sock.sendall(piece)
                sent += chunk
        answer = sock.recv(4096)
    except OSError:  # the server may close while we still send
        answer = answer or sock.recv(4096)
    finally:
        sock.close()
    return sent, answer


def test_chunked_body_is_refused_while_streaming(small):
    from service_server import LiveServer

    settings = ServiceSettings(db=small["db"], analysis_processes=0, max_upload_bytes=1024 * 1024)
    with LiveServer(create_app(settings)) as server:
        sent, answer = _send_chunked(server.port, "/v1/detect", 300 * 2**20)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 40 * 2**20  # refused after ~3.7 MiB read, not after the whole 300 MiB


def test_declared_or_chunked_bodies_over_the_limit_are_413(small):
    settings = ServiceSettings(db=small["db"], analysis_processes=0, max_upload_bytes=1024 * 1024)

    def chunks():
        for _ in range(100):
            yield b"A" * (100 * 1024)

    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        r = c.post("/v1/detect", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        big = c.post("/v1/detect", content=b"x" * (settings.max_body_bytes + 1), headers={"content-type": "text/plain"})
        assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
        assert c.patch("/v1/people/1", json={"name": "Ada"}).status_code == 200  # small bodies still pass


# --- issue 14.6: keyless loopback, cross-site writes and DNS rebinding -----------------------


def test_cross_site_writes_and_foreign_hosts_are_refused_without_keys(client):
    evil = {"origin": "https://evil.example", "content-type": "text/plain"}
    r = client.post("/v1/faces/1/reject", headers=evil, content="x")  # a "simple" cross-site POST
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_site"
    r = client.patch("/v1/people/1", json={"name": "Eve"}, headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    assert client.post("/v1/faces/1/reject", headers={"origin": "null"}).status_code == 403
    assert client.get("/v1/people/1").json()["name"] is None and client.get("/v1/people/1").json()["face_count"] == 2
    # DNS rebinding: the page's own host name reaches 127.0.0.1
    r = client.get("/v1/people", headers={"host": "attacker.example:8000"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "host_not_allowed"
    # the page itself (same origin), scripts without those headers, and every loopback name still work
    same = {"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"}
    assert client.patch("/v1/people/1", json={"name": "Ada"}, headers=same).status_code == 200
    assert client.post("/v1/faces/2/reject").status_code == 200
    for host in ("localhost:8000", "[::1]:8000", "127.0.0.1"):
        assert client.get("/v1/people", headers={"host": host}).status_code == 200, host


def test_allowed_host_and_keyed_servers(small):
    settings = ServiceSettings(db=small["db"], analysis_processes=0, allowed_hosts=("atlas.lan",))
    with TestClient(create_app(settings), base_url="http://atlas.lan:8000") as c:
        assert c.get("/v1/people").status_code == 200
        assert c.get("/v1/people", headers={"host": "other.lan"}).status_code == 403
    keyed = ServiceSettings(db=small["db"], analysis_processes=0, host="0.0.0.0")
    with TestClient(create_app(keyed), base_url="http://photos.example.org") as c:
        assert c.get("/v1/people").status_code == 401  # keys guard a server off loopback, any Host


# --- issue 14.9: damaged and read-only atlases, doctor ---------------------------------------


def _main(capsys, *args: str) -> tuple[int, str, str]:
    from faceatlas.cli.app import main

    with pytest.raises(SystemExit) as ended:
        main(list(args))
    out, err = capsys.readouterr()
    return ended.value.code or 0, out, err


def _damage(db) -> None:
    data = bytearray(db.read_bytes())
    for offset in range(4096, len(data), 4096):  # every page but the header's: b-tree pages become noise
        data[offset : offset + 64] = b"\xa5" * 64
    db.write_bytes(bytes(data))


def test_damaged_atlas_is_a_one_line_error(small, tmp_path, capsys):
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database " * 200)
    _damage(small["db"])
    for db in (garbage, small["db"]):
        code, out, err = _main(capsys, "people", "--db", str(db))
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (out, err)
        assert "faceatlas doctor" in err
        code, out, err = _main(capsys, "people", "--db", str(db), "--json")
        assert code == 2 and "faceatlas doctor" in json.loads(out)["error"]


def test_read_only_atlas_reads_and_refuses_changes_in_one_line(small, capsys, monkeypatch):
    import faceatlas.store.db as store_db

    monkeypatch.setattr(store_db, "writable", lambda path: False)  # as a read-only folder (root ignores modes)
    code, out, _ = _main(capsys, "people", "--db", str(small["db"]), "--json")
    assert code == 0 and json.loads(out)[0]["id"] == 1
    code, out, err = _main(capsys, "name", "1", "Ada", "--db", str(small["db"]))
    assert code == 2 and "read-only" in err and len(err.strip().splitlines()) == 1


def test_doctor_checks_backs_up_and_rebuilds(small, tmp_path, capsys):
    db = str(small["db"])
    code, out, _ = _main(capsys, "doctor", "--db", db, "--json", "--backup", str(tmp_path / "b.sqlite3"))
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["counts"]["faces"] == 4 and "sqlite backup" in report["backup"]
    with Atlas(tmp_path / "b.sqlite3") as copy:
        assert copy.faces.count() == 4
    code, out, _ = _main(capsys, "doctor", "--db", db, "--json", "--rebuild-index")
    assert code == 0 and "faiss index (4 faces)" in json.loads(out)["rebuilt"]
    _damage(small["db"])
    code, out, _ = _main(capsys, "doctor", "--db", db, "--json", "--backup", str(tmp_path / "c.sqlite3"))
    report = json.loads(out)
    assert code == 1 and not report["ok"] and report["problems"]
    assert (tmp_path / "c.sqlite3").is_file()


# --- issue 14.10: API edges, schemas, offline docs -------------------------------------------


def test_api_edges_are_422_not_500(client):
    huge = 2**70
    for method, url, body in (
        ("get", f"/v1/people/{huge}", None),
        ("get", f"/v1/faces/{huge}/thumbnail.jpg", None),
        ("post", f"/v1/faces/{huge}/reject", None),
        ("post", "/v1/people/1/merge", {"other": huge}),
        ("post", "/v1/faces/1/move", {"person_id": huge}),
        ("get", "/v1/people/0", None),
    ):
        r = client.request(method, url, json=body)
        assert r.status_code == 422, (url, r.status_code, r.text)
    nested = "[" * 100_000 + "]" * 100_000
    for url, method in (("/v1/people/1", "patch"), ("/v1/detect", "post")):
        r = client.request(method, url, content=nested, headers={"content-type": "application/json"})
        assert r.status_code == 422, (url, r.text)
    for t in ("nan", "inf", "-1", "0"):
        r = client.post(f"/v1/verify?threshold={t}", files={"image_a": ("a", b"x"), "image_b": ("b", b"x")})
        assert r.status_code == 422 and "threshold" in r.text, (t, r.text)
    client.patch("/v1/people/1", json={"name": "Ada"})
    r = client.patch("/v1/people/1", json={"nam": "x"})
    assert r.status_code == 422
    assert client.get("/v1/people/1").json()["name"] == "Ada"  # the typo did not erase the name
    assert client.post("/v1/faces/1/label", json={"name": "Ada", "extra": 1}).status_code == 422


def test_openapi_has_schemas_upload_bodies_and_the_key_scheme(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    ok = paths["/v1/people/{person_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PersonOut"}
    assert "multipart/form-data" in paths["/v1/verify"]["post"]["requestBody"]["content"]
    assert {"VerificationOut", "AnalyzeOut", "SearchOut", "JobOut", "RenameBody"} <= set(spec["components"]["schemas"])
    schemes = spec["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key" and schemes["HTTPBearer"]["scheme"] == "bearer"


def test_docs_page_loads_its_assets_from_this_server(client):
    import re

    page = client.get("/docs").text
    assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css))["']""", page)
    assert assets and all(a.startswith("/") for a in assets), assets  # nothing from a CDN
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 10_000, asset


# --- issue 14.11: unreadable folders, dangling links, one scan at a time, float TIFF ----------


def _unreadable(folder, monkeypatch) -> None:
    """``folder`` cannot be listed (chmod 000; as root, which ignores modes, its listing fails)."""
    import os

    if os.geteuid() != 0:
        folder.chmod(0)
        return
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(folder):
            raise PermissionError(13, "Permission denied", str(folder))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_unreadable_folder_is_reported_and_dangling_links_only_once(tmp_path, monkeypatch):
    album = tmp_path / "album"
    (album / "locked").mkdir(parents=True)
    (album / "gone.jpg").symlink_to(album / "nowhere.jpg")
    (album / "loop_a.jpg").symlink_to(album / "loop_b.jpg")
    (album / "loop_b.jpg").symlink_to(album / "loop_a.jpg")
    _unreadable(album / "locked", monkeypatch)
    db = str(tmp_path / "a.sqlite3")
    first = json.loads(_cli("scan", str(album), "--db", db, "--json", "--workers", "1").output)
    assert first["unreadable"] == [{"path": str(album / "locked"), "error": "folder not readable: Permission denied"}]
    assert sorted(f["image"].rsplit("/", 1)[1] for f in first["failed"]) == ["gone.jpg", "loop_a.jpg", "loop_b.jpg"]
    second = json.loads(_cli("scan", str(album), "--db", db, "--json", "--workers", "1").output)
    assert second["failed"] == [] and second["skipped_unchanged"] == 3  # reported once, not on every scan
    text = _cli("scan", str(album), "--db", db, "--workers", "1")
    assert "locked: folder not readable" in text.output and "1 folders unreadable" in text.output


def test_second_scan_on_one_atlas_exits_3_naming_the_holder(small, tmp_path):
    import subprocess
    import sys
    import time

    lock = str(small["db"]) + ".scan.lock"
    code = (
        "import pathlib, time\n"
        "from faceatlas.engines.lifetime import exclusive\n"
        f"with exclusive(pathlib.Path({lock!r})):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        result = _cli("scan", str(small["root"] / "photos"), "--db", str(small["db"]), "--json", "--workers", "1")
        assert result.exit_code == 3, result.output
        assert json.loads(result.output) == {"error": f"atlas busy (pid {holder.pid})", "pid": holder.pid}
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    again = _cli("scan", str(small["root"] / "photos"), "--db", str(small["db"]), "--json", "--workers", "1")
    assert again.exit_code == 0, again.output  # a killed holder leaves no lock behind


def test_float_tiff_above_one_keeps_its_range(tmp_path):
    import numpy as np
    from PIL import Image

    from faceatlas.io.images import open_image

    ramp = np.tile(np.linspace(0.0, 4.0, 256, dtype=np.float32), (64, 1))  # an HDR float TIFF, 0..4
    Image.fromarray(ramp, mode="F").save(tmp_path / "hdr.tif")
    pixels = open_image(tmp_path / "hdr.tif").full()[..., 0].astype(int)
    assert pixels[:, 0].max() == 0 and pixels[:, -1].min() == 255
    assert 100 < pixels.mean() < 155  # a ramp, neither clipped white nor crushed dark


# --- issue 14.12: no silent fallback when a default model is missing --------------------------


def test_missing_default_model_is_exit_2_not_a_weaker_detector(tmp_path, monkeypatch, capsys):
    from PIL import Image

    import faceatlas.models.registry as registry
    from faceatlas.errors import ModelUnavailableError
    from faceatlas.pipeline.detect import DetectorConfig, _auto_detector

    real = registry.is_available
    monkeypatch.setattr(registry, "is_available", lambda name: name != "blazeface-full" and real(name))
    _auto_detector.cache_clear()
    Image.new("RGB", (64, 64)).save(tmp_path / "x.png")
    try:
        with pytest.raises(ModelUnavailableError, match="faceatlas models install default"):
            _ = DetectorConfig().model_name  # the library: no dlib HOG behind the user's back
        for args in (["analyze", str(tmp_path / "x.png")], ["scan", str(tmp_path), "--db", str(tmp_path / "a.db")]):
            code, out, err = _main(capsys, *args, "--json")
            assert code == 2 and "run `faceatlas models install default`" in json.loads(out)["error"], (args, out)
            code, out, err = _main(capsys, *args)
            assert code == 2 and "faceatlas models install default" in err and len(err.strip().splitlines()) == 1
        code, out, _ = _main(capsys, "models")
        assert "default models missing" in out and "blazeface-full" in out
        assert DetectorConfig(model="dlib-hog").model_name == "dlib-hog"  # asked for by name: fine
    finally:
        _auto_detector.cache_clear()


# --- issue 14.11: --json on every command ------------------------------------------------------


def test_corrections_export_and_keys_take_json(small, tmp_path, capsys):
    db = ["--db", str(small["db"])]
    assert json.loads(_main(capsys, "name", "1", " Ada ", *db, "--json")[1]) == {"person_id": 1, "name": "Ada"}
    assert json.loads(_main(capsys, "move", "3", "1", *db, "--json")[1]) == {"face_id": 3, "person_id": 1}
    assert json.loads(_main(capsys, "reject", "3", *db, "--json")[1]) == {"face_id": 3, "rejected_from": 1}
    code, out, _ = _main(capsys, "merge", "1", "1", *db, "--json")
    assert code == 2 and "itself" in json.loads(out)["error"]
    rows = json.loads(_main(capsys, "export", *db, "--json")[1])
    assert len(rows) == 4 and {"image", "face_id", "person_id", "name"} <= set(rows[0])
    code, out, _ = _main(capsys, "export", "--format", "csv", "--out", str(tmp_path / "x.csv"), *db, "--json")
    assert json.loads(out) == {"out": str(tmp_path / "x.csv"), "format": "csv", "rows": 4}
    assert (tmp_path / "x.csv").read_text().count("\n") == 5
    key = json.loads(_main(capsys, "keys", "create", *db, "--json")[1])
    assert key["role"] == "read"
    code, out, _ = _main(capsys, "keys", "revoke", "1", *db, "--json")
    assert json.loads(out) == {"revoked": 1}
    code, out, _ = _main(capsys, "keys", "revoke", "99", *db, "--json")
    assert code == 2 and json.loads(out) == {"error": "no key with id 99"}


# --- issue 14.11: workers do not outlive the server ---------------------------------------------


def _children(pid: int) -> set[int]:
    import os

    kids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                kids.add(int(entry))
    return kids


def _alive(pids: set[int]) -> set[int]:

    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.add(pid)
        except OSError:
            pass
    return alive


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_serve_leaves_no_worker_behind(small, how):
    import signal
    import subprocess
    import sys
    import time

    import httpx

    from service_server import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "faceatlas", "serve", "--db", str(small["db"]), "--port", str(port), "--processes", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert time.time() < deadline and server.poll() is None, "server did not start"
                time.sleep(0.2)
        r = httpx.post(f"http://127.0.0.1:{port}/v1/detect", files={"image": ("x.png", _png())}, timeout=120)
        assert r.status_code == 200
        workers = _children(server.pid)
        assert workers, "the analysis worker should be running"
        server.send_signal(getattr(signal, how))
        server.wait(timeout=30)
        deadline = time.time() + 15
        while _alive(workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not _alive(workers), f"left behind after {how}: {_alive(workers)}"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_search_works_on_an_atlas_whose_folder_cannot_be_written(small, monkeypatch, capsys):
    import faceatlas.index.face_index as face_index
    import faceatlas.store.db as store_db

    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(store_db, "writable", lambda path: False)
    monkeypatch.setattr(face_index.FaceIndex, "save", refuse)
    code, out, err = _main(capsys, "search", "--face", "1", "--db", str(small["db"]), "--json")
    assert code == 0, err
    ids = [f["face_id"] for f in json.loads(out)["faces"]]
    assert sorted(ids) == [2, 3, 4]  # every other face, ranked, from an index kept in memory


def test_killed_scan_leaves_no_pool_worker_behind(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from atlas_fixtures import make_album

    album = make_album(tmp_path / "album")
    cmd = [sys.executable, "-m", "faceatlas", "scan", str(album), "--db", str(tmp_path / "a.db"), "--workers", "2"]
    scan = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        workers: set[int] = set()
        while len(workers) < 2 and scan.poll() is None and time.time() < deadline:
            workers = _children(scan.pid)
            time.sleep(0.1)
        assert len(workers) >= 2, "the pool did not start"
        scan.send_signal(signal.SIGKILL)
        scan.wait()
        deadline = time.time() + 15
        while _alive(workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not _alive(workers), f"left behind: {_alive(workers)}"
    finally:
        if scan.poll() is None:
            scan.kill()
            scan.wait()


def test_float_arrays_keep_their_usual_meaning_and_wide_ones_are_not_clipped():
    import numpy as np

    from faceatlas.io.images import to_rgb_array

    eight_bit = np.array([[0.0, 100.0, 255.0]])
    assert to_rgb_array(eight_bit)[0, :, 0].tolist() == [0, 100, 255]  # img.astype(float): unchanged
    assert to_rgb_array(np.array([[0.0, 0.5, 1.0]]))[0, :, 0].tolist() == [0, 128, 255]
    wide = np.array([[0.0, 32767.5, 65535.0]])  # 16-bit data stored as float: was clipped white
    assert to_rgb_array(wide)[0, :, 0].tolist() == [0, 128, 255]
