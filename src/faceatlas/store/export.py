"""Rows for `faceatlas export`: one per live face with its image, box, person and attributes."""

from __future__ import annotations

import json

from faceatlas.store import Atlas
from faceatlas.store.images import path_from_db


def export_rows(atlas: Atlas) -> list[dict]:
    rows = atlas.conn.execute(
        """SELECT i.path, f.id, f.x1, f.y1, f.x2, f.y2, f.quality, a.person_id, p.name, a.source, f.frame_ms,
                  f.attributes
           FROM faces f JOIN images i ON i.id = f.image_id AND i.status = 'done'
           LEFT JOIN assignments a ON a.face_id = f.id
           LEFT JOIN people p ON p.id = a.person_id
           ORDER BY i.path, f.id"""
    ).fetchall()
    return [
        {
            "image": path_from_db(r[0]),
            "face_id": r[1],
            "x1": round(r[2], 1),
            "y1": round(r[3], 1),
            "x2": round(r[4], 1),
            "y2": round(r[5], 1),
            "quality": None if r[6] is None else round(r[6], 4),
            "person_id": r[7],
            "name": r[8],
            "source": r[9],
            "frame_ms": r[10],  # faces from videos: the time of their frame; None for photos
            "attributes": json.loads(r[11]) if r[11] else {},
        }
        for r in rows
    ]


def flat_rows(rows: list[dict]) -> list[dict]:
    """Rows for a table (CSV): each attribute its own column (every key any face has), dicts as JSON."""
    keys = list(dict.fromkeys(k for r in rows for k in r["attributes"]))
    out = []
    for r in rows:
        flat = {k: v for k, v in r.items() if k != "attributes"}
        for k in keys:
            v = r["attributes"].get(k)
            flat[k] = json.dumps(v, separators=(",", ":")) if isinstance(v, dict) else v
        out.append(flat)
    return out
