"""The atlas schema as an ordered list of migrations; ``PRAGMA user_version`` records how many ran.

Never edit a released migration: append a new one. Each runs in its own transaction.
"""

from __future__ import annotations

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
]

SCHEMA_VERSION = len(MIGRATIONS)
