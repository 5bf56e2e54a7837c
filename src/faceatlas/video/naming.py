"""Naming tracks from an atlas: the person whose faces are nearest a track's aggregated embedding,
when within the verification threshold (read only: nothing is written to the atlas)."""

from __future__ import annotations

from faceatlas.index.face_index import FaceIndex
from faceatlas.index.search import search_embedding
from faceatlas.store import Atlas
from faceatlas.video.tracks import VideoTracks


def name_tracks(result: VideoTracks, atlas: Atlas) -> None:
    """Set each track's ``person`` to ``{"id", "name"}`` of the atlas person it matches, else None."""
    index = FaceIndex.open(atlas)
    if index.size == 0:
        return
    for track in result.tracks:
        if track.embedding is None:
            continue
        found = search_embedding(atlas, track.embedding, top=5, index=index)
        best = found.people[0] if found.people else None
        track.person = {"id": best.person_id, "name": best.name} if best is not None and best.same else None
