"""The atlas end to end: scan, incremental re-scan, resume after kill -9, corrections, search,
export, migrations — against a real SQLite store and a real FAISS index."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from atlas_fixtures import astronaut, hopper, make_album, make_video, side_by_side, variants
from faceatlas.cli.app import app
from faceatlas.engines import scan
from faceatlas.people.assign import full_recluster
from faceatlas.people.corrections import merge_people, move_face, name_person, reject_face
from faceatlas.store import Atlas
from faceatlas.store.db import connect
from faceatlas.store.export import export_rows
from faceatlas.store.schema import SCHEMA_VERSION
from faceatlas.types import Face
from faceatlas.video import DEFAULT_EVERY

runner = CliRunner()


def partition(atlas: Atlas) -> set[frozenset]:
    """People as sets of (file name, rounded box): comparable across databases."""
    out = set()
    for p in atlas.people.all():
        out.add(
            frozenset(
                (Path(f.image_path).name, tuple(round(v) for v in f.bbox.to_list()))
                for f in atlas.faces.of_person(p.id)
            )
        )
    return out


def person_of(atlas: Atlas, filename: str) -> int | None:
    return next(f.person_id for f in atlas.faces.live() if Path(f.image_path).name == filename)


@pytest.fixture()
def album(tmp_path) -> Path:
    return make_album(tmp_path / "album")


@pytest.fixture()
def atlas(tmp_path):
    with Atlas(tmp_path / "atlas.sqlite3") as a:
        yield a


def test_scan_finds_people_and_records_failures(album, atlas):
    summary = scan(atlas, [album])
    assert summary.images_seen == 7 and summary.analyzed == 7 and summary.faces_added == 6
    assert [f["image"].endswith("broken.jpg") for f in summary.failed] == [True]
    assert "not an image" in summary.failed[0]["error"]
    assert atlas.images.failures()[0][1] == summary.failed[0]["error"]
    groups = {frozenset(name for name, _ in g) for g in partition(atlas)}
    assert groups == {frozenset(f"astronaut_{i}.jpg" for i in range(3)), frozenset(f"hopper_{i}.jpg" for i in range(3))}
    for person in atlas.people.all():  # the cover is the best-quality face
        faces = atlas.faces.of_person(person.id)
        assert (
            person.cover_face_id == max(faces, key=lambda f: f.quality).id == atlas.people.get(person.id).cover_face_id
        )
    assert atlas.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rescan_is_incremental(album, atlas):
    scan(atlas, [album])
    again = scan(atlas, [album])
    assert again.analyzed == 0 and again.skipped_unchanged == 7 and again.faces_added == 0
    os.utime(album / "astronaut_0.jpg", ns=(1, 1))  # new mtime, same content: no re-analysis
    assert scan(atlas, [album]).analyzed == 0
    thumbs = {f.id: atlas.thumbnails().path_for(f.id, f.image_path, f.bbox) for f in atlas.faces.live()}
    Image.fromarray(variants(astronaut())[1][:, ::-1]).save(album / "astronaut_0.jpg")  # changed content
    (album / "sub" / "hopper_2.jpg").unlink()
    third = scan(atlas, [album])
    assert third.analyzed == 1 and third.vanished == 1
    assert atlas.images.get_by_path(str(album / "sub" / "hopper_2.jpg")).status == "missing"
    assert all("hopper_2" not in f.image_path for f in atlas.faces.live())
    live = {f.id for f in atlas.faces.live()}  # thumbnails of faces that are gone are pruned
    assert {i for i, path in thumbs.items() if path.exists()} == live & set(thumbs) and len(live & set(thumbs)) == 4


def test_videos_are_scanned_one_face_per_track(album, atlas):
    """A video among the photos: one face per track (its best frame's time, the track's time range,
    the aggregated embedding), joined to the people of the photos; its thumbnail comes from that
    frame. A cut from one person to another at the same place is two tracks."""
    make_video(album / "clip.avi", [astronaut(), hopper()], seconds=2.0)
    (album / "broken.mp4").write_bytes(b"not a video at all")
    summary = scan(atlas, [album])
    assert summary.images_seen == 9
    assert any(f["image"].endswith("broken.mp4") and "cannot decode this video" in f["error"] for f in summary.failed)
    clip = [f for f in atlas.faces.live() if f.image_path.endswith("clip.avi")]
    assert sorted(f.frame_ms // 1000 for f in clip) == [0, 2], "one face per track, from its own seconds"
    spans = sorted((f.start_ms, f.end_ms) for f in clip)
    assert spans[0] == (0, 1800), "the first person's track: all its frames"
    assert 2000 <= spans[1][0] < 2000 + DEFAULT_EVERY * 200 and spans[1][1] == 3800, "found at its first detection"
    for face in clip:
        photo = "astronaut_0.jpg" if face.frame_ms < 2000 else "hopper_0.jpg"
        assert face.person_id == person_of(atlas, photo)
        thumb = atlas.thumbnails().path_for(face.id, face.image_path, face.bbox, face.frame_ms)
        assert Image.open(thumb).size == (160, 160)
    rows = {r["face_id"]: r for r in export_rows(atlas)}
    assert {rows[f.id]["frame_ms"] for f in clip} == {f.frame_ms for f in clip}


def test_same_photo_faces_never_one_person(tmp_path, atlas):
    folder = tmp_path / "pair"
    folder.mkdir()
    a = astronaut()
    Image.fromarray(side_by_side(a, a[:, ::-1])).save(folder / "twice.jpg")  # one person, twice in one photo
    for i, v in enumerate(variants(a)):
        Image.fromarray(v).save(folder / f"solo_{i}.jpg")
    scan(atlas, [folder])
    full_recluster(atlas)
    twice = [f for f in atlas.faces.live() if f.image_path.endswith("twice.jpg")]
    assert len(twice) == 2
    assert twice[0].person_id is None or twice[0].person_id != twice[1].person_id


def _state(db: Path) -> set:
    with Atlas(db) as a:
        return partition(a) | {("images", a.images.counts().get("done", 0), a.faces.count())}


def test_killed_scan_resumes_to_the_same_state(tmp_path):
    album = make_album(tmp_path / "album")
    for i, v in enumerate(variants(astronaut())):  # more files so the kill lands mid-scan
        Image.fromarray(v[::-1, ::-1]).save(album / f"upside_{i}.jpg")
    reference = tmp_path / "ref.sqlite3"
    with Atlas(reference) as a:
        scan(a, [album])
    db = tmp_path / "killed.sqlite3"
    cmd = [sys.executable, "-m", "faceatlas", "scan", str(album), "--db", str(db), "--workers", "1", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as c:
                    done = c.execute("SELECT COUNT(*) FROM images").fetchone()[0]
            except sqlite3.Error:
                done = 0
            if done >= 2:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the scan finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Atlas(db) as a:
        interrupted = a.images.counts().get("done", 0) + a.images.counts().get("failed", 0)
    assert 2 <= interrupted < 10
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["analyzed"] == 10 - interrupted
    assert _state(db) == _state(reference)


def test_corrections_survive_full_recluster_and_new_scans(album, atlas, tmp_path):
    scan(atlas, [album])
    astro, hop = person_of(atlas, "astronaut_0.jpg"), person_of(atlas, "hopper_0.jpg")
    name_person(atlas, astro, "Eileen Collins")
    doubted = next(f for f in atlas.faces.live() if f.image_path.endswith("astronaut_2.jpg"))
    assert reject_face(atlas, doubted.id) == astro
    full_recluster(atlas)
    assert atlas.faces.get(doubted.id).person_id != astro  # "not this person" holds
    move_face(atlas, doubted.id, hop)  # a deliberate user decision wins over the embeddings
    name_person(atlas, hop, "Grace Hopper")
    for _ in range(2):
        full_recluster(atlas)
        assert atlas.people.get(astro).name == "Eileen Collins" and atlas.people.get(hop).name == "Grace Hopper"
        assert atlas.faces.get(doubted.id).person_id == hop
        assert person_of(atlas, "astronaut_1.jpg") == astro and person_of(atlas, "hopper_1.jpg") == hop
    extra = tmp_path / "more"
    extra.mkdir()
    Image.fromarray(variants(astronaut())[2][:, ::-1]).save(extra / "astronaut_new.jpg")
    scan(atlas, [album, extra])
    assert person_of(atlas, "astronaut_new.jpg") == astro
    assert atlas.faces.get(doubted.id).person_id == hop
    merge_people(atlas, hop, astro)
    full_recluster(atlas)
    assert atlas.people.get(hop).name == "Grace Hopper"
    assert {person_of(atlas, n) for n in ("astronaut_1.jpg", "astronaut_new.jpg", "hopper_0.jpg")} == {hop}
    assert len(atlas.people.all()) == 1


def test_migration_from_v1_keeps_data(tmp_path):
    db = tmp_path / "old.sqlite3"
    conn = connect(db, migrate_to=1)
    conn.execute("INSERT INTO images (path, status, scanned_at) VALUES ('/x.jpg', 'done', 0)")
    conn.execute(
        "INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, embedding, model) "
        "VALUES (1, 0, 0, 10, 10, 0.9, '[]', ?, 'dlib-resnet/v1')",
        (np.ones(128, np.float32).tobytes(),),
    )
    conn.execute("INSERT INTO people (name, created_at) VALUES ('Ada', 0)")
    conn.execute("INSERT INTO assignments VALUES (1, 1, 'user', 1.0, 0)")
    conn.execute("INSERT INTO constraints (kind, face_id, person_id, created_at) VALUES ('must', 1, 1, 0)")
    conn.close()
    with Atlas(db) as a:
        assert a.schema_version == SCHEMA_VERSION > 1
        assert a.people.get(1).name == "Ada" and a.faces.get(1).person_id == 1
        assert [(c.kind, c.face_id, c.person_id) for c in a.people.constraints()] == [("must", 1, 1)]
        a.images.set_caption(1, "Ada at work", "sidecar")  # the v2 table exists
        assert a.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with a.transaction():  # v5: a deleted face's id is not handed out again, nor a person's
            a.conn.execute("DELETE FROM faces")
            a.conn.execute("DELETE FROM people")
            a.conn.execute(
                "INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, embedding, model) "
                "VALUES (1, 0, 0, 10, 10, 0.9, '[]', ?, 'dlib-resnet/v1')",
                (np.ones(128, np.float32).tobytes(),),
            )
            assert a.faces.live()[0].id == 2 and a.people.create() == 2


def test_reanalysed_photo_gets_new_face_ids(album, atlas):
    scan(atlas, [album])
    last = max(atlas.faces.live(), key=lambda f: f.id)  # the id SQLite would otherwise reuse
    with atlas.transaction():
        faces = atlas.faces.of_image(last.image_id)
        new_ids = atlas.faces.replace_for_image(last.image_id, [_as_face(f) for f in faces])
    assert min(new_ids) > last.id


def _as_face(record) -> Face:
    return Face(record.bbox, record.score, np.zeros((5, 2)), quality=record.quality, embedding=record.embedding)


def test_cli_people_search_export(album, tmp_path):
    db = tmp_path / "cli.sqlite3"
    res = runner.invoke(app, ["scan", str(album), "--db", str(db), "--json", "--workers", "1"])
    assert res.exit_code == 0, res.output
    people = json.loads(runner.invoke(app, ["people", "--db", str(db), "--json"]).stdout)
    assert len(people) == 2 and all(set(p) == {"id", "name", "attributes", "faces"} for p in people)
    assert set(people[0]["faces"][0]) == {"id", "image", "bbox", "quality", "attributes"}
    astro = (
        next(p["id"] for p in people if "astronaut" in people[0]["faces"][0]["image"] and p is people[0])
        if "astronaut" in people[0]["faces"][0]["image"]
        else people[1]["id"]
    )
    assert runner.invoke(app, ["name", str(astro), "Eileen Collins", "--db", str(db)]).exit_code == 0
    query = tmp_path / "query.png"
    Image.fromarray(astronaut()[20:480, 30:500]).save(query)
    found = json.loads(runner.invoke(app, ["search", str(query), "--db", str(db), "--json", "--top", "4"]).stdout)
    assert found["people"][0]["person_id"] == astro and found["people"][0]["same"]
    assert found["people"][0]["name"] == "Eileen Collins"
    assert len(found["faces"]) == 4 and found["faces"][0]["distance"] < 0.45
    face_id = found["faces"][0]["face_id"]
    by_face = json.loads(runner.invoke(app, ["search", "--face", str(face_id), "--db", str(db), "--json"]).stdout)
    assert all(f["face_id"] != face_id for f in by_face["faces"])
    assert by_face["people"][0]["person_id"] == astro
    rows = json.loads(runner.invoke(app, ["export", "--db", str(db)]).stdout)
    assert len(rows) == 6 and {r["name"] for r in rows} == {"Eileen Collins", None}
    csv_out = tmp_path / "faces.csv"
    assert runner.invoke(app, ["export", "--format", "csv", "--out", str(csv_out), "--db", str(db)]).exit_code == 0
    assert csv_out.read_text().splitlines()[0].startswith("image,face_id,x1")
    bad = runner.invoke(app, ["person", "999", "--db", str(db), "--json"])
    assert bad.exit_code == 2 and "999" in json.loads(bad.stdout)["error"]


def test_parallel_scan_matches_serial(album, tmp_path):
    with Atlas(tmp_path / "a.sqlite3") as a, Atlas(tmp_path / "b.sqlite3") as b:
        scan(a, [album], workers=1)
        scan(b, [album], workers=2)
        assert partition(a) == partition(b)
