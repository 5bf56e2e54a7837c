"""The atlas schema as an ordered list of migrations; ``PRAGMA user_version`` records how many ran.

Never edit a released migration: append a new one. Each runs in its own transaction, with foreign
keys off (so a table can be rebuilt, SQLite's documented way to change a column) and
``PRAGMA foreign_key_check`` before it commits.
"""

from __future__ import annotations

# person_stats (migration 11) is kept by triggers; the pieces they share:
# whether face F is live (its photo is present)
_LIVE = "EXISTS (SELECT 1 FROM faces lf JOIN images li ON li.id = lf.image_id WHERE lf.id = {F} AND li.status = 'done')"
# the person's cover face (best quality, NULL last, then lowest id) and its rank, recomputed from all
# their faces: only when the cover leaves or gets worse (never once per face of a bulk change)
_COVER = (
    "SELECT cf.id, COALESCE(cf.quality, -1e300) FROM assignments ca JOIN faces cf ON cf.id = ca.face_id "
    "JOIN images ci ON ci.id = cf.image_id AND ci.status = 'done' "
    "WHERE ca.person_id = person_stats.person_id ORDER BY cf.quality DESC, cf.id LIMIT 1"
)
_RANK = "(SELECT COALESCE(quality, -1e300) FROM faces WHERE id = NEW.face_id)"
_BETTER = f"cover_face IS NULL OR {_RANK} > cover_rank OR ({_RANK} = cover_rank AND NEW.face_id < cover_face)"
# a live face joins a person: one more face, maybe the new cover
_ADD = f"""
    UPDATE person_stats SET faces = faces + 1, version = version + 1,
        cover_rank = CASE WHEN {_BETTER} THEN {_RANK} ELSE cover_rank END,
        cover_face = CASE WHEN {_BETTER} THEN NEW.face_id ELSE cover_face END
        WHERE person_id = NEW.person_id AND {_LIVE.format(F="NEW.face_id")};"""
# a live face leaves a person: one face less, the cover recomputed if it was the cover
_REMOVE = f"""
    UPDATE person_stats SET faces = faces - 1, version = version + 1
        WHERE person_id = OLD.person_id AND {_LIVE.format(F="OLD.face_id")};
    UPDATE person_stats SET (cover_face, cover_rank) = ({_COVER})
        WHERE person_id = OLD.person_id AND cover_face = OLD.face_id;"""
_IMAGE_PEOPLE = "SELECT a.person_id FROM faces f JOIN assignments a ON a.face_id = f.id WHERE f.image_id = NEW.id"
# the best face of the person in the photo NEW (a photo back in the atlas: it may hold a better cover)
_IMAGE_BEST = (
    "SELECT bf.id, COALESCE(bf.quality, -1e300) FROM faces bf JOIN assignments ba ON ba.face_id = bf.id "
    "WHERE bf.image_id = NEW.id AND ba.person_id = person_stats.person_id ORDER BY bf.quality DESC, bf.id LIMIT 1"
)

MIGRATIONS: list[str] = [
    # 1: images, faces, people, assignments, user constraints
    """
    CREATE TABLE images (
        id          INTEGER PRIMARY KEY,
        path        TEXT NOT NULL UNIQUE,
        size        INTEGER,
        mtime_ns    INTEGER,
        sha256      TEXT,
        width       INTEGER,
        height      INTEGER,
        status      TEXT NOT NULL CHECK (status IN ('done', 'failed', 'missing')),
        error       TEXT,
        model       TEXT,
        scanned_at  REAL NOT NULL
    );
    CREATE TABLE faces (
        id          INTEGER PRIMARY KEY,
        image_id    INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        score       REAL NOT NULL,
        landmarks   TEXT NOT NULL,
        yaw REAL, pitch REAL, roll REAL,
        quality     REAL,
        embedding   BLOB NOT NULL,
        model       TEXT NOT NULL
    );
    CREATE INDEX faces_image ON faces(image_id);
    CREATE TABLE people (
        id          INTEGER PRIMARY KEY,
        name        TEXT,
        created_at  REAL NOT NULL
    );
    CREATE TABLE assignments (
        face_id     INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
        person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        source      TEXT NOT NULL CHECK (source IN ('auto', 'user')),
        confidence  REAL NOT NULL,
        updated_at  REAL NOT NULL
    );
    CREATE INDEX assignments_person ON assignments(person_id);
    CREATE TABLE constraints (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('must', 'cannot')),
        face_id     INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        created_at  REAL NOT NULL,
        UNIQUE (kind, face_id, person_id)
    );
    """,
    # 2: captions (for naming from captions) and an index for status scans
    """
    CREATE TABLE captions (
        image_id    INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        text        TEXT NOT NULL,
        source      TEXT NOT NULL
    );
    CREATE INDEX images_status ON images(status);
    """,
    # 3: API keys for the REST service (only a SHA-256 of each key is stored)
    """
    CREATE TABLE api_keys (
        id          INTEGER PRIMARY KEY,
        key_hash    TEXT NOT NULL UNIQUE,
        prefix      TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('read', 'admin')),
        label       TEXT,
        created_at  REAL NOT NULL,
        revoked     INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 4: who named a person (the user or the captions), and caption-based name proposals
    """
    ALTER TABLE people ADD COLUMN name_source TEXT;
    UPDATE people SET name_source = 'user' WHERE name IS NOT NULL;
    CREATE TABLE name_proposals (
        person_id   INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        confidence  REAL NOT NULL,
        faces       INTEGER NOT NULL,
        applied     INTEGER NOT NULL DEFAULT 0,
        created_at  REAL NOT NULL
    );
    """,
    # 5: face and person ids are never reused (AUTOINCREMENT): without it SQLite hands the id of a
    # deleted last row to the next insert, so a re-analysed photo's new face could take the old
    # face's id (and its cached thumbnail), and a new person the id of one just removed
    """
    CREATE TABLE faces_v5 (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        image_id    INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        score       REAL NOT NULL,
        landmarks   TEXT NOT NULL,
        yaw REAL, pitch REAL, roll REAL,
        quality     REAL,
        embedding   BLOB NOT NULL,
        model       TEXT NOT NULL
    );
    INSERT INTO faces_v5 (id, image_id, x1, y1, x2, y2, score, landmarks, yaw, pitch, roll, quality, embedding, model)
        SELECT id, image_id, x1, y1, x2, y2, score, landmarks, yaw, pitch, roll, quality, embedding, model FROM faces;
    DROP TABLE faces;
    ALTER TABLE faces_v5 RENAME TO faces;
    CREATE INDEX faces_image ON faces(image_id);
    CREATE TABLE people_v5 (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT,
        created_at  REAL NOT NULL,
        name_source TEXT
    );
    INSERT INTO people_v5 (id, name, created_at, name_source) SELECT id, name, created_at, name_source FROM people;
    DROP TABLE people;
    ALTER TABLE people_v5 RENAME TO people;
    """,
    # 6: faces found in videos: the time of their frame
    """
    ALTER TABLE faces ADD COLUMN frame_ms INTEGER;
    """,
    # the atlas's facts (which embedder its vectors come from) and every face's attributes (what the
    # attribute heads said, one JSON object: new heads need no migration). An existing atlas records
    # the embedder most of its faces carry.
    """
    CREATE TABLE IF NOT EXISTS meta (
        key         TEXT PRIMARY KEY,
        value       TEXT NOT NULL
    );
    INSERT OR IGNORE INTO meta (key, value)
        SELECT 'embedder', model FROM faces GROUP BY model ORDER BY COUNT(*) DESC LIMIT 1;
    ALTER TABLE faces ADD COLUMN attributes TEXT;
    """,
    # faces found in videos: the time range of their track (first and last frame), beside frame_ms
    """
    ALTER TABLE faces ADD COLUMN start_ms INTEGER;
    ALTER TABLE faces ADD COLUMN end_ms INTEGER;
    """,
    # people app: hidden / deleted people, the log of user actions (each undoable: the rows it
    # changed, with their old values, are recorded by temporary triggers, see store/actions.py),
    # review questions the user skipped, and when a photo was taken (EXIF DateTimeOriginal)
    """
    ALTER TABLE people ADD COLUMN state TEXT NOT NULL DEFAULT 'shown'
        CHECK (state IN ('shown', 'hidden', 'deleted'));
    CREATE TABLE actions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL,
        summary     TEXT NOT NULL,
        detail      TEXT,
        created_at  REAL NOT NULL,
        undone_at   REAL
    );
    CREATE TABLE action_changes (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        action_id   INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
        tbl         TEXT NOT NULL,
        op          TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
        row_id      INTEGER NOT NULL,
        old         TEXT
    );
    CREATE INDEX action_changes_action ON action_changes(action_id);
    CREATE INDEX action_changes_row ON action_changes(tbl, row_id);
    CREATE TABLE review_skips (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        face_id     INTEGER REFERENCES faces(id) ON DELETE CASCADE,
        person_id   INTEGER REFERENCES people(id) ON DELETE CASCADE,
        created_at  REAL NOT NULL
    );
    ALTER TABLE images ADD COLUMN taken_at TEXT;
    """,
    # names read from captions, per face: where each came from (the photo), how sure, the evidence,
    # whether it was applied, the person the face was in before (to undo), and undone ones (never
    # applied again)
    """
    CREATE TABLE caption_names (
        face_id     INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
        image_id    INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        confidence  REAL NOT NULL,
        photos      INTEGER NOT NULL,
        applied     INTEGER NOT NULL DEFAULT 0,
        from_person INTEGER,
        undone      INTEGER NOT NULL DEFAULT 0,
        created_at  REAL NOT NULL
    );
    CREATE INDEX caption_names_image ON caption_names(image_id);
    """,
    # per-person figures kept by the store itself (issue 15: pages at 1M faces): the live face
    # count, the cover face, and a version bumped by every change to the person's live faces; the
    # centroid and attribute summary are cached with the version they were computed at (stale when
    # it differs, refreshed when read: store/stats.py). Triggers keep it right on every path (scan,
    # clustering, corrections, undo's replay, deletes, photos gone missing). Faces by quality: the
    # page of faces in no person walks them best first.
    f"""
    CREATE TABLE person_stats (
        person_id   INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
        faces       INTEGER NOT NULL DEFAULT 0,
        cover_face  INTEGER,
        cover_rank  REAL,
        version     INTEGER NOT NULL DEFAULT 0,
        cached      INTEGER NOT NULL DEFAULT -1,
        centroid    BLOB,
        attributes  TEXT
    );
    CREATE INDEX person_stats_faces ON person_stats(faces);
    CREATE INDEX faces_quality ON faces(COALESCE(quality, 0) DESC, id);
    INSERT INTO person_stats (person_id, faces, cover_face, cover_rank)
        SELECT p.id, COALESCE(r.n, 0), r.fid, r.q FROM people p LEFT JOIN (
            SELECT pid, n, fid, q FROM (
                SELECT a.person_id AS pid, f.id AS fid, COALESCE(f.quality, -1e300) AS q,
                       COUNT(*) OVER (PARTITION BY a.person_id) AS n,
                       ROW_NUMBER() OVER (PARTITION BY a.person_id ORDER BY f.quality DESC, f.id) AS rn
                FROM assignments a JOIN faces f ON f.id = a.face_id
                JOIN images i ON i.id = f.image_id AND i.status = 'done')
            WHERE rn = 1) r ON r.pid = p.id;
    CREATE TRIGGER person_stats_person AFTER INSERT ON people BEGIN
        INSERT OR IGNORE INTO person_stats (person_id) VALUES (NEW.id);
    END;
    CREATE TRIGGER person_stats_assign_ins AFTER INSERT ON assignments BEGIN {_ADD}
    END;
    CREATE TRIGGER person_stats_assign_del AFTER DELETE ON assignments BEGIN {_REMOVE}
    END;
    CREATE TRIGGER person_stats_assign_upd AFTER UPDATE OF person_id, face_id ON assignments
        WHEN OLD.person_id != NEW.person_id OR OLD.face_id != NEW.face_id BEGIN {_REMOVE} {_ADD}
    END;
    CREATE TRIGGER person_stats_face_gone BEFORE DELETE ON faces BEGIN
        DELETE FROM assignments WHERE face_id = OLD.id;
    END;
    CREATE TRIGGER person_stats_image_gone BEFORE DELETE ON images BEGIN
        DELETE FROM faces WHERE image_id = OLD.id;
    END;
    CREATE TRIGGER person_stats_face_changed AFTER UPDATE OF quality, embedding, attributes ON faces BEGIN
        UPDATE person_stats SET version = version + 1
            WHERE person_id = (SELECT person_id FROM assignments WHERE face_id = NEW.id);
        UPDATE person_stats SET cover_face = NEW.id, cover_rank = COALESCE(NEW.quality, -1e300)
            WHERE person_id = (SELECT person_id FROM assignments WHERE face_id = NEW.id)
            AND NEW.quality IS NOT OLD.quality AND {_LIVE.format(F="NEW.id")} AND (cover_face IS NULL
                OR COALESCE(NEW.quality, -1e300) > cover_rank
                OR (COALESCE(NEW.quality, -1e300) = cover_rank AND NEW.id < cover_face));
        UPDATE person_stats SET (cover_face, cover_rank) = ({_COVER})
            WHERE person_id = (SELECT person_id FROM assignments WHERE face_id = NEW.id)
            AND cover_face = NEW.id AND COALESCE(NEW.quality, -1e300) < cover_rank;
    END;
    CREATE TRIGGER person_stats_image_status AFTER UPDATE OF status ON images
        WHEN (OLD.status = 'done') != (NEW.status = 'done') BEGIN
        UPDATE person_stats SET version = version + 1,
            faces = faces + (CASE WHEN NEW.status = 'done' THEN 1 ELSE -1 END) * (
                SELECT COUNT(*) FROM faces f JOIN assignments a ON a.face_id = f.id
                WHERE f.image_id = NEW.id AND a.person_id = person_stats.person_id)
            WHERE person_id IN ({_IMAGE_PEOPLE});
        UPDATE person_stats SET (cover_face, cover_rank) = ({_IMAGE_BEST})
            WHERE NEW.status = 'done' AND person_id IN ({_IMAGE_PEOPLE}) AND (cover_face IS NULL OR EXISTS (
                SELECT 1 FROM faces bf JOIN assignments ba ON ba.face_id = bf.id
                WHERE bf.image_id = NEW.id AND ba.person_id = person_stats.person_id
                AND (COALESCE(bf.quality, -1e300) > cover_rank
                     OR (COALESCE(bf.quality, -1e300) = cover_rank AND bf.id < cover_face))));
        UPDATE person_stats SET (cover_face, cover_rank) = ({_COVER})
            WHERE NEW.status != 'done' AND person_id IN ({_IMAGE_PEOPLE})
            AND cover_face IN (SELECT id FROM faces WHERE image_id = NEW.id);
    END;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
