"""person_stats (issue 15: pages at 1M faces): the per-person live face count and cover face the
store keeps with triggers must equal a real COUNT(*) / best-quality face after every kind of change
— scan (faces replaced, photos missing and back, deleted), clustering, every correction and its undo."""

from __future__ import annotations

import numpy as np
import pytest

from faceatlas.people import corrections, labeling
from faceatlas.people.assign import assign_new_faces, full_recluster
from faceatlas.store import Atlas
from faceatlas.store.db import connect
from people_fixtures import add_face, make_people_atlas

TRUTH = """SELECT p.id,
    (SELECT COUNT(*) FROM assignments a JOIN faces f ON f.id = a.face_id
       JOIN images i ON i.id = f.image_id AND i.status = 'done' WHERE a.person_id = p.id),
    (SELECT f.id FROM assignments a JOIN faces f ON f.id = a.face_id
       JOIN images i ON i.id = f.image_id AND i.status = 'done' WHERE a.person_id = p.id
       ORDER BY f.quality DESC, f.id LIMIT 1)
    FROM people p ORDER BY p.id"""


def check(atlas: Atlas) -> None:
    """Stored figures == the ones counted from the assignments, for every person."""
    truth = [tuple(r) for r in atlas.conn.execute(TRUTH)]
    stored = [
        tuple(r)
        for r in atlas.conn.execute(
            "SELECT p.id, s.faces, s.cover_face FROM people p JOIN person_stats s ON s.person_id = p.id ORDER BY p.id"
        )
    ]
    assert stored == truth
    for pid, n, cover in truth:
        record = atlas.people.get(pid)
        assert (record.face_count, record.cover_face_id) == (n, cover)


@pytest.fixture()
def world(tmp_path):
    return make_people_atlas(tmp_path / "atlas.sqlite3")


CHANGES = {
    "name": lambda atlas, w: corrections.name_person(atlas, w["people"]["A1"], "Ann"),
    "merge": lambda atlas, w: corrections.merge_people(atlas, w["people"]["A1"], w["people"]["A2"]),
    "move": lambda atlas, w: corrections.move_face(atlas, w["faces"]["B"][0], w["people"]["C"]),
    "reject": lambda atlas, w: corrections.reject_face(atlas, w["faces"]["B"][0]),
    "new_person": lambda atlas, w: corrections.new_person_from_face(atlas, w["faces"]["C"][0], "Cy"),
    "label": lambda atlas, w: labeling.answer_name(atlas, w["faces"]["A1"][0], "Ann"),
    "label_loose": lambda atlas, w: labeling.answer_name(atlas, w["faces"]["loose"][0], "Lou"),
    "no": lambda atlas, w: labeling.answer_no(atlas, w["faces"]["A2"][0], w["people"]["A1"]),
    "hide": lambda atlas, w: corrections.set_hidden(atlas, w["people"]["C"]),
    "delete": lambda atlas, w: corrections.delete_person(atlas, w["people"]["B"]),
}


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_counts_stay_right_through_every_correction_and_its_undo(world, kind):
    with Atlas(world["db"]) as atlas:
        check(atlas)
        CHANGES[kind](atlas, world)
        check(atlas)
        atlas.actions.undo()
        check(atlas)


def test_counts_stay_right_through_clustering_and_scans(world):
    rng = np.random.default_rng(0)
    with Atlas(world["db"]) as atlas:
        full_recluster(atlas)
        check(atlas)
        with atlas.transaction():
            for i in range(3):
                add_face(atlas, f"/photos/new_{i}.jpg", atlas.faces.get(world["faces"]["B"][i]).embedding)
        assign_new_faces(atlas)
        check(atlas)
        b_faces = sorted(world["faces"]["B"], key=lambda f: -(atlas.faces.get(f).quality or 0))
        best = atlas.faces.get(b_faces[0])
        with atlas.transaction():  # the cover's photo goes missing, then comes back
            atlas.images.mark_missing([best.image_id])
        check(atlas)
        with atlas.transaction():
            atlas.conn.execute("UPDATE images SET status = 'done' WHERE id = ?", (best.image_id,))
        check(atlas)
        with atlas.transaction():  # a better face comes in a rescan (re-embedding keeps the row)
            atlas.conn.execute("UPDATE faces SET quality = 0.99 WHERE id = ?", (b_faces[-1],))
        check(atlas)
        assert atlas.people.get(best.person_id).cover_face_id == b_faces[-1]
        with atlas.transaction():  # a rescan replaces the photo's faces; another photo is forgotten
            atlas.faces.replace_for_image(best.image_id, [])
            atlas.conn.execute("DELETE FROM images WHERE id = ?", (atlas.faces.get(b_faces[1]).image_id,))
        check(atlas)
        with atlas.transaction():  # an unassigned face's quality changing touches no person
            atlas.conn.execute(
                "UPDATE faces SET quality = ? WHERE id = ?", (float(rng.uniform()), world["faces"]["loose"][0])
            )
        with atlas.transaction():
            atlas.people.clear_auto()
        check(atlas)
        full_recluster(atlas)
        check(atlas)


def test_undo_replaying_over_a_later_assignment_keeps_counts(world):
    """Undo re-inserts a row clustering has since re-made (INSERT OR REPLACE): the replaced row's
    person loses the face (delete triggers fire: recursive_triggers)."""
    face, c = world["faces"]["B"][0], world["people"]["C"]
    with Atlas(world["db"]) as atlas:
        corrections.reject_face(atlas, face)
        with atlas.transaction():  # not an action: as the clustering pass would
            atlas.people.assign(face, c, "auto", 0.5)
        check(atlas)
        atlas.actions.undo()
        check(atlas)
        assert atlas.faces.get(face).person_id == world["people"]["B"]


def test_migration_backfills_an_existing_atlas(tmp_path):
    db = tmp_path / "old.sqlite3"
    conn = connect(db, migrate_to=10)
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'person_stats'").fetchone()
    rng = np.random.default_rng(1)
    conn.execute("INSERT INTO images (id, path, status, scanned_at) VALUES (1, '/a.jpg', 'done', 0)")
    conn.execute("INSERT INTO images (id, path, status, scanned_at) VALUES (2, '/b.jpg', 'missing', 0)")
    for fid, (img, q) in enumerate([(1, 0.5), (1, 0.9), (2, 0.99), (1, None)], start=1):
        conn.execute(
            "INSERT INTO faces (id, image_id, x1, y1, x2, y2, score, landmarks, quality, embedding, model) "
            "VALUES (?, ?, 0, 0, 1, 1, 1, '[]', ?, ?, 't')",
            (fid, img, q, rng.normal(size=128).astype(np.float32).tobytes()),
        )
    conn.execute("INSERT INTO people (id, created_at) VALUES (1, 0), (2, 0)")
    conn.executemany("INSERT INTO assignments VALUES (?, ?, 'auto', 1, 0)", [(1, 1), (2, 1), (3, 1), (4, 2)])
    conn.close()
    with Atlas(db) as atlas:
        check(atlas)
        assert [(p.id, p.face_count, p.cover_face_id) for p in atlas.people.all()] == [(1, 2, 2), (2, 1, 4)]


@pytest.mark.parametrize("few", [True, False])
def test_faces_in_no_person_page_in_sql(world, monkeypatch, few):
    """``FaceTable.loose`` == the faces in no person, not ignored, best quality first, from every
    live face (what the /faces page computed before), page by page and in total, whether they are
    few (collected first) or many (the quality index walked); the review's questions are the same."""
    from faceatlas.store.faces import FaceTable

    monkeypatch.setattr(FaceTable, "FEW", 0 if few else 10**9)
    with Atlas(world["db"]) as atlas:
        with atlas.transaction():
            for f in world["faces"]["B"][:3] + world["faces"]["C"][:1]:
                atlas.people.unassign(f)
            atlas.conn.execute("UPDATE faces SET quality = NULL WHERE id = ?", (world["faces"]["B"][1],))
            atlas.people.add_skip(face_id=world["faces"]["B"][2])
            atlas.images.mark_missing([atlas.faces.get(world["faces"]["C"][0]).image_id])
        skipped, _ = atlas.people.skips()
        expected = [
            f.id
            for f in sorted(atlas.faces.live(), key=lambda f: (-(f.quality or 0), f.id))
            if f.person_id is None and f.id not in skipped
        ]
        assert len(expected) == 3
        pages = [atlas.faces.loose(2, offset) for offset in (0, 2, 4)]
        assert [f.id for page, _ in pages for f in page] == expected
        assert {total for _, total in pages} == {len(expected)}
        assert atlas.faces.count() == len(atlas.faces.live())
        quality = {f: atlas.faces.get(f).quality for f in expected}  # the review: unknown quality first
        best_two = sorted(expected, key=lambda f: (quality[f] is not None, -(quality[f] or 0), f))[:2]
        ids, vectors = atlas.faces.loose_for_review(2)
        assert ids.tolist() == best_two and vectors.shape == (2, 128)
        assert atlas.faces.loose_for_review(10)[0].tolist() == sorted(expected)
        if few:
            plan = [str(r[3]) for r in atlas.conn.execute("EXPLAIN QUERY PLAN " + atlas.faces.FEW_LOOSE_PAGE, (60, 0))]
            assert plan[0].startswith("SCAN l")
        else:
            plan = [str(r[3]) for r in atlas.conn.execute("EXPLAIN QUERY PLAN " + atlas.faces.LOOSE_PAGE, (60, 0))]
            assert "faces_quality" in plan[0] and "TEMP B-TREE" not in " ".join(plan)


def brute_similar(atlas: Atlas, person_id: int, k: int = 6, max_distance: float = 0.6) -> list[tuple[int, float]]:
    """(id, distance) of the nearest shown people by centroid, from every vector (the old way)."""
    ids, person_of, _, _, x = atlas.faces.matrix()
    states = atlas.people.states()
    ruled = {
        c.person_id
        for c in atlas.people.constraints()
        if c.kind == "cannot" and c.face_id in set(ids[person_of == person_id])
    }
    centre = x[person_of == person_id].mean(axis=0, dtype=np.float64)
    out = []
    for p in set(person_of.tolist()) - {-1, person_id}:
        d = float(np.linalg.norm(x[person_of == p].mean(axis=0, dtype=np.float64) - centre))
        if states.get(p) == "shown" and p not in ruled and d <= max_distance:
            out.append((p, round(d, 4)))
    return sorted(out, key=lambda t: t[1])[:k]


def test_may_be_the_same_person_from_cached_centroids(world):
    """Centroids are cached per person, refreshed only for people whose faces changed, and give the
    same answer as computing every centroid from every vector."""
    from faceatlas.store.stats import StatsTable

    a1, b, c = world["people"]["A1"], world["people"]["B"], world["people"]["C"]
    with Atlas(world["db"]) as atlas:
        stats = StatsTable(atlas.conn)
        assert set(stats.stale()) == set(world["people"].values())  # never computed yet

        def same(pid: int, k: int = 6, d: float = 2.0) -> None:
            got = [(r["id"], r["distance"]) for r in labeling.similar_people(atlas, pid, k, d)]
            assert [g[0] for g in got] == [e[0] for e in brute_similar(atlas, pid, k, d)]
            assert np.allclose([g[1] for g in got], [e[1] for e in brute_similar(atlas, pid, k, d)], atol=2e-4)

        same(a1)
        assert stats.stale() == {}
        cached_b = stats.centroid(b).copy()
        corrections.move_face(atlas, world["faces"]["B"][0], c)
        assert set(stats.stale()) == {b, c}  # only the people the move touched
        same(c)
        assert stats.stale() == {} and not np.allclose(stats.centroid(b), cached_b)
        corrections.merge_people(atlas, a1, world["people"]["A2"])
        labeling.answer_no(atlas, world["faces"]["B"][1], c)  # B's faces are not C: C is left out
        same(b)
        assert c not in [r["id"] for r in labeling.similar_people(atlas, b, 6, 2.0)]
        corrections.set_hidden(atlas, a1)
        same(b)
        atlas.actions.undo()
        same(b)


def test_the_clustering_command_leaves_no_stale_centroid(world):
    """`faceatlas cluster` refreshes the changed people's centroids, so no page pays for them."""
    from typer.testing import CliRunner

    from faceatlas.cli.app import app as cli
    from faceatlas.store.stats import StatsTable

    result = CliRunner().invoke(cli, ["cluster", "--full", "--db", str(world["db"]), "--json"])
    assert result.exit_code == 0, result.output
    with Atlas(world["db"]) as atlas:
        assert StatsTable(atlas.conn).stale() == {}
        assert len(StatsTable(atlas.conn).centroids().ids) == len(atlas.people.all())


def test_doctor_finds_and_repairs_wrong_counts(world):
    """A count changed behind the triggers' back (another tool): `doctor` says so, `--rebuild`
    counts again."""
    from faceatlas.store.doctor import check as doctor_check
    from faceatlas.store.doctor import rebuild_indexes

    assert doctor_check(world["db"]).ok
    with Atlas(world["db"]) as atlas, atlas.transaction():
        atlas.conn.execute("UPDATE person_stats SET faces = 99 WHERE person_id = ?", (world["people"]["B"],))
        atlas.conn.execute("DELETE FROM person_stats WHERE person_id = ?", (world["people"]["C"],))
    report = doctor_check(world["db"])
    assert not report.ok and any("2 people's stored face counts are wrong" in p for p in report.problems)
    assert "people's face counts" in rebuild_indexes(world["db"])
    assert doctor_check(world["db"]).ok
    with Atlas(world["db"]) as atlas:
        check(atlas)


def test_a_page_does_not_wait_for_a_writer_to_store_centroids(world):
    """While another connection holds the write lock (a scan), the centroids are computed and used
    but not stored; the next read stores them."""
    from faceatlas.store.stats import StatsTable

    a1 = world["people"]["A1"]
    with Atlas(world["db"]) as writer, Atlas(world["db"]) as reader:
        writer.conn.execute("BEGIN IMMEDIATE")
        expected = brute_similar(reader, a1, 6, 2.0)
        got = labeling.similar_people(reader, a1, 6, 2.0)
        assert [r["id"] for r in got] == [p for p, _ in expected]
        assert StatsTable(reader.conn).stale()  # not stored: the writer holds the lock
        writer.conn.execute("ROLLBACK")
        labeling.similar_people(reader, a1, 6, 2.0)
        assert StatsTable(reader.conn).stale() == {}
        assert reader.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000


def test_counts_stay_right_through_random_changes(world):
    """200 random low-level changes (assign, move, unassign, quality up or down, photo missing and
    back, face or photo deleted, person deleted), checked after each one."""
    rng = np.random.default_rng(7)
    with Atlas(world["db"]) as atlas:
        people = list(world["people"].values())
        for step in range(200):
            faces = [int(r[0]) for r in atlas.conn.execute("SELECT id FROM faces")]
            images = [int(r[0]) for r in atlas.conn.execute("SELECT id FROM images")]
            if not faces:
                break
            face, image = int(rng.choice(faces)), int(rng.choice(images))
            op = int(rng.integers(8))
            with atlas.transaction():
                if op <= 1:
                    atlas.people.assign(face, int(rng.choice(people)), "auto", 1.0)
                elif op == 2:
                    atlas.people.unassign(face)
                elif op == 3:
                    q = None if rng.uniform() < 0.2 else float(rng.uniform())
                    atlas.conn.execute("UPDATE faces SET quality = ? WHERE id = ?", (q, face))
                elif op == 4:
                    atlas.conn.execute(
                        "UPDATE images SET status = CASE status WHEN 'done' THEN 'missing' ELSE 'done' END "
                        "WHERE id = ?",
                        (image,),
                    )
                elif op == 5 and step % 4 == 0:
                    atlas.conn.execute("DELETE FROM faces WHERE id = ?", (face,))
                elif op == 6 and step % 6 == 0:
                    atlas.conn.execute("DELETE FROM images WHERE id = ?", (image,))
                elif op == 7 and step % 10 == 0 and len(people) > 2:
                    gone = people.pop(int(rng.integers(len(people))))
                    atlas.conn.execute("DELETE FROM people WHERE id = ?", (gone,))
                else:  # a second face in a photo: photos with several faces of one person
                    vec = atlas.faces.get(face).embedding
                    cur = atlas.conn.execute(
                        "INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, quality, embedding, model) "
                        "VALUES (?, 0, 0, 9, 9, 0.9, '[]', ?, ?, 'test')",
                        (image, float(rng.uniform()), vec.tobytes()),
                    )
                    atlas.people.assign(int(cur.lastrowid), int(rng.choice(people)), "auto", 1.0)
            check(atlas)


def test_centroids_use_only_the_atlas_space_during_a_reembedding(world):
    """Two identity spaces of the same width (a re-embedding half done): centroids are made of the
    faces of the atlas's current space only, switching the space makes every cached centroid stale,
    and one person's refresh does not take the space from that person's own faces."""
    from faceatlas.people import similar
    from faceatlas.store.stats import StatsTable

    a1, b, c = world["people"]["A1"], world["people"]["B"], world["people"]["C"]
    with Atlas(world["db"]) as atlas:
        atlas.set_embedder("test", "test")
        stats = StatsTable(atlas.conn)
        old_c = similar.centroids(atlas, None)
        assert stats.stale() == {} and c in old_c.ids
        atlas.set_embedder("dlib-resnet/v1", "dlib-resnet")  # `scan --embedder dlib-resnet --reembed`
        assert set(stats.stale()) == set(world["people"].values())
        rng = np.random.default_rng(5)
        new = {f: rng.normal(size=128).astype(np.float32) for f in world["faces"]["B"][:2]}
        with atlas.transaction():
            for f, v in new.items():  # two of B's faces re-embedded; the rest still in the old space
                sql = "UPDATE faces SET embedding = ?, model = 'dlib-resnet/v1' WHERE id = ?"
                atlas.conn.execute(sql, (v.tobytes(), f))
        assert similar.refresh(atlas, [c])[c][0] is None  # C has no face of the atlas's space yet
        got = similar.centroids(atlas, None)
        assert got.ids.tolist() == [b]
        assert np.allclose(got.vectors[0], np.mean(list(new.values()), axis=0), atol=1e-6)
        assert np.allclose(stats.centroid(b), got.vectors[0]) and stats.centroid(a1) is None
        assert similar.nearest_people(atlas, c, max_distance=10.0) == []
