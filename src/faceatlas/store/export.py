"""Rows for `faceatlas export`: one per live face with its image, box and person."""

from __future__ import annotations

from faceatlas.store import Atlas
from faceatlas.store.images import path_from_db


def export_rows(atlas: Atlas) -> list[dict]:
    rows = atlas.conn.execute(
        """SELECT i.path, f.id, f.x1, f.y1, f.x2, f.y2, f.quality, a.person_id, p.name, a.source, f.frame_ms
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
        }
        for r in rows
    ]
