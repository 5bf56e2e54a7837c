"""The people code reads its distances from the identity space, not from module constants.

1. dlib's space carries exactly the values measured for it (the README's figures stay valid).
2. The same vectors ×2 in a space whose threshold, logistic width and people parameters are ×2 give
   the same clusters, names, confidences and review questions — in the estimators and through an
   atlas whose recorded embedder is that space. A constant left in dlib units would break this.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from faceatlas.identity.params import ClusterParams, NamingParams, PeopleParams, ReviewParams
from faceatlas.identity.space import default_space
from faceatlas.models import registry
from faceatlas.models.dlib_resnet import DLIB_SPACE, WEIGHTS
from faceatlas.models.registry import ModelKind, ModelSpec
from faceatlas.people.cluster import FaceClusterer
from faceatlas.people.names import parse_caption
from faceatlas.people.naming import name_faces
from faceatlas.store import Atlas
from faceatlas.types import BBox, Face

SCALED = "test-dlib-x2"
X2_SPACE = replace(
    DLIB_SPACE,
    name=SCALED,
    threshold=2 * DLIB_SPACE.threshold,
    similarity_scale=2 * DLIB_SPACE.similarity_scale,
    params=DLIB_SPACE.people.scaled(2.0),
)

# the values the README's clustering and naming figures were measured with (dlib units)
DLIB_CLUSTERING = ClusterParams(
    threshold=0.5,
    strong_threshold=0.4,
    neighbour_threshold=0.55,
    min_shared=0.25,
    centroid_threshold=0.5,
    k=16,
    min_quality=0.65,
    attach_threshold=0.55,
    attach_margin=0.2,
    poor_threshold=0.35,
    join_threshold=0.5,
    join_margin=0.05,
    min_cluster_size=2,
)
DLIB_NAMING = NamingParams(
    unknown_cost=0.7, link=0.45, hint_weight=0.1, verify_at=0.6, confidence_scale=0.03, no_model_discount=0.01
)


def test_dlib_space_carries_the_measured_values():
    space = default_space()
    assert space is DLIB_SPACE and space.threshold == 0.6 and space.similarity_scale == 0.05
    assert space.people.clustering == DLIB_CLUSTERING
    assert space.people.naming == DLIB_NAMING
    assert space.people.review == ReviewParams(confirm_distance=0.5, similar_distance=0.6)
    params = FaceClusterer().get_params()
    assert params.pop("space") is None and params == DLIB_CLUSTERING.__dict__
    # an explicit argument wins, None included ("pass off"), and the rest stay the space's
    c = FaceClusterer(join_threshold=None, threshold=0.45)
    assert c.join_threshold is None and c.threshold == 0.45 and c.strong_threshold == 0.4
    assert PeopleParams.from_dict(space.people.to_dict()) == space.people


def test_a_space_without_people_parameters_is_refused():
    bare = replace(DLIB_SPACE, name="bare", params=None)
    with pytest.raises(ValueError, match="no clustering / naming parameters"):
        FaceClusterer(space=bare)


def test_scaling_touches_only_distances():
    p = DLIB_SPACE.people.scaled(2.0)
    assert p.clustering.threshold == 1.0 and p.clustering.attach_margin == 0.4 and p.naming.verify_at == 1.2
    assert p.clustering.k == 16 and p.clustering.min_quality == 0.65 and p.clustering.min_shared == 0.25
    assert p.review.similar_distance == 1.2 and DLIB_SPACE.people.scaled(1.0) == DLIB_SPACE.people


def _faces(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Six people (dlib-like spread: centres ~0.86 apart, same-person pairs ~0.4) with good faces,
    poor faces near their own person, two poor faces of nobody known and a face between two people:
    every pass of the clusterer has work."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.054, (6, 128))
    x = np.repeat(centres, 5, axis=0) + rng.normal(0, 0.025, (30, 128))
    y = np.repeat(np.arange(6), 5)
    poor = centres[:3] + rng.normal(0, 0.03, (3, 128))
    stranger = rng.normal(0, 0.054, 128)
    between = (centres[4] + centres[5]) / 2
    x = np.vstack([x, poor, [stranger, stranger + 0.002], [between]]).astype(np.float32)
    y = np.concatenate([y, [0, 1, 2, 6, 6, 7]])
    quality = np.concatenate([np.full(30, 0.9), np.full(5, 0.4), [0.9]])
    quality[[3, 9]] = 0.5  # a few poor faces among the people's own
    return x, y, quality


def test_same_clusters_in_a_scaled_space():
    x, _, quality = _faces()
    groups = np.arange(len(x))
    groups[1] = groups[0]  # two faces of one photo never share a person
    base = FaceClusterer().fit_predict(x, groups=groups, quality=quality)
    assert len(set(base[base >= 0].tolist())) >= 5 and (base == -1).any()
    scaled = FaceClusterer(space=X2_SPACE).fit_predict(2 * x, groups=groups, quality=quality)
    assert scaled.tolist() == base.tolist()
    # the test can tell: dlib's parameters on the scaled vectors give another answer
    assert FaceClusterer().fit_predict(2 * x, groups=groups, quality=quality).tolist() != base.tolist()


def _captioned(seed: int = 1):
    """Photos of two or three of five people, captioned with their names (with "(L)"/"(R)"), one name
    of someone absent and one person never named; last, a photo of someone seen once."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.054, (5, 128))
    names = ["Ann Lee", "Bo Kim", "Cy Roe", "Di Fox", "Ed Ray"]
    x, photos, captions, centres_x = [], [], [], []
    for p in range(12):
        who = rng.choice(5, size=2 + p % 2, replace=False)
        photos.append(list(range(len(x), len(x) + len(who))))
        for k, person in enumerate(who):
            x.append(centres[person] + rng.normal(0, 0.025, 128))
            centres_x.append(100.0 * k)
        named = [names[i] for i in who if i != 4]
        if len(who) == 2 and 4 not in who:
            text = f"{named[0]} (L) and {named[1]} (R) at the summit."
        else:
            text = ", ".join(named + ["Gus Hill"]) + " in Geneva."
        captions.append(parse_caption(text, []))
    # someone seen once, beside a known face: only elimination names him (a name without a model)
    photos.append([len(x), len(x) + 1])
    x += [centres[0] + rng.normal(0, 0.025, 128), rng.normal(0, 0.054, 128)]
    centres_x += [0.0, 100.0]
    captions.append(parse_caption("Ann Lee and Hal Ito at the summit.", []))
    return np.array(x), photos, captions, centres_x


def test_same_names_in_a_scaled_space():
    x, photos, captions, centres = _captioned()
    base = name_faces(photos, captions, x, centres=centres)
    assert sum(a.name is not None for a in base) >= len(x) // 2
    assert base[-1].name == "Hal Ito" and 0.5 < base[-1].confidence < 0.7, base[-1]  # by elimination
    scaled = name_faces(photos, captions, 2 * x, centres=centres, space=X2_SPACE)
    assert scaled == base
    assert name_faces(photos, captions, 2 * x, centres=centres) != base


@pytest.fixture()
def x2_model():
    spec = ModelSpec(SCALED, ModelKind.EMBEDDER, "1", "test double", "onnxruntime", (WEIGHTS,), lambda p, o: None)
    registry.register(replace(spec, space=X2_SPACE))
    yield SCALED
    registry._SPECS.pop(SCALED, None)


def _atlas(path, x, quality, photos, captions, model: str | None) -> Atlas:
    atlas = Atlas(path)
    with atlas.transaction():
        if model is not None:
            atlas.set_embedder(registry.get_spec(model).space.key, model)
        for p, (faces, caption) in enumerate(zip(photos, captions)):
            image = atlas.images.upsert(f"/album/{p}.jpg", size=1, mtime_ns=1, sha256=str(p), status="done")
            recs = [
                Face(
                    BBox(100 * k, 0, 100 * k + 80, 80),
                    0.9,
                    np.zeros((5, 2)),
                    quality=float(quality[f]),
                    embedding=x[f].astype(np.float32),
                    embedder=atlas.embedder or "",  # the faces are of the atlas's space
                )
                for k, f in enumerate(faces)
            ]
            atlas.faces.replace_for_image(image, recs)
            if caption:
                atlas.images.set_caption(image, caption, "sidecar")
    return atlas


def _questions(atlas: Atlas) -> list[tuple]:
    from faceatlas.people.labeling import questions

    return [(q.kind, q.face_id, q.suggested_person, q.confidence) for q in questions(atlas, limit=50)]


def _faces_of(atlas: Atlas) -> list[tuple]:
    return [(f.id, f.person_id, f.confidence) for f in sorted(atlas.faces.live(), key=lambda f: f.id)]


def _album(seed: int = 3):
    """Five people of five good faces; a look-alike of person 1 (centre 0.45 from it: its own
    person, close enough for "Is this Bo Kim?"); a good face of nobody known (a face question);
    later, a poor face of person 0 (joins by centroid, with a similarity) and a good face of person 2."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.054, (5, 128))
    step = rng.normal(0, 1, 128)
    look_alike = centres[1] + 0.45 * step / np.linalg.norm(step)
    x = np.vstack(
        [
            np.repeat(centres, 5, axis=0) + rng.normal(0, 0.025, (25, 128)),
            look_alike + rng.normal(0, 0.025, (4, 128)),
            rng.normal(0, 0.054, (1, 128)),
            centres[0] + rng.normal(0, 0.03, (1, 128)),
            centres[2] + rng.normal(0, 0.025, (1, 128)),
        ]
    )
    quality = np.full(len(x), 0.9)
    quality[-2] = 0.4
    return x, quality


def test_an_atlas_of_the_scaled_space_decides_the_same(tmp_path, x2_model):
    """Clustering, incremental assignment, caption naming, the review questions and identification
    read the atlas's space."""
    from faceatlas.people.assign import assign_new_faces, full_recluster
    from faceatlas.people.corrections import name_person
    from faceatlas.people.labeling import answer, identify_people, name_from_captions

    x, quality = _album()
    n = len(x)
    photos = [[i] for i in range(n - 2)]
    captions = [""] * (n - 2)
    captions[0], captions[1] = "Ann Lee at home.", "Ann Lee in Rome."
    states = []
    for scale, model in ((1.0, None), (2.0, x2_model)):
        with _atlas(tmp_path / f"a{scale}.sqlite3", scale * x, quality, photos, captions, model) as atlas:
            full_recluster(atlas)
            with atlas.transaction():
                for i in (n - 2, n - 1):  # faces that arrive after the first clustering
                    image = atlas.images.upsert(f"/late/{i}.jpg", size=1, mtime_ns=1, sha256=f"l{i}", status="done")
                    face = Face(
                        BBox(0, 0, 80, 80),
                        0.9,
                        np.zeros((5, 2)),
                        quality=float(quality[i]),
                        embedding=(scale * x[i]).astype(np.float32),
                        embedder=atlas.embedder or "",
                    )
                    atlas.faces.replace_for_image(image, [face])
            assign_new_faces(atlas)
            name_from_captions(atlas)
            bo = next(f.person_id for f in atlas.faces.live() if f.id == 6)  # person 1's first face
            name_person(atlas, bo, "Bo Kim")
            state = {"assigned": _faces_of(atlas), "questions": _questions(atlas)}
            atlas.people.unassign(12)  # two faces of person 2 the clustering left out (as it may)
            atlas.people.unassign(13)
            answer(atlas, 11, "Cy Roe")  # the user's word: identification around face 11
            state["answered"] = _faces_of(atlas)
            identify_people(atlas)  # few labels -> everyone
            state["identified"] = _faces_of(atlas)
            state["names"] = sorted(str(p.name) for p in atlas.people.all())
            states.append(state)
    base, scaled = states
    assert scaled == base
    # what the album exercises (so that a constant left in dlib units would show)
    assert {"Ann Lee", "Bo Kim"} <= set(base["names"])
    kinds = {q[0] for q in base["questions"]}
    assert {"confirm", "face"} <= kinds, base["questions"]
    assert any(c is not None and 0 < c < 1 for _, _, c in base["assigned"]), "joined by centroid, with a similarity"
    answered, identified = dict((f, c) for f, _, c in base["answered"]), dict((f, c) for f, _, c in base["identified"])
    assert answered[12] is not None and 0.5 < answered[12] < 1, "identified around the answer"
    assert answered[13] is not None, base["answered"]
    assert identified != answered, "identification changed some faces"


def test_the_video_tracker_reads_its_appearance_distances_from_the_space():
    from faceatlas.identity.params import TrackingParams
    from faceatlas.video.tracker import Tracker, TrackerConfig

    assert DLIB_SPACE.people.tracking == TrackingParams(appearance_strict=0.5, appearance_loose=0.6)
    dlib = Tracker(25.0, space=DLIB_SPACE).config
    assert (dlib.appearance_strict, dlib.appearance_loose) == (0.5, 0.6)
    assert Tracker(25.0).config == dlib  # no space: the default one's
    x2 = Tracker(25.0, space=X2_SPACE).config
    assert (x2.appearance_strict, x2.appearance_loose) == (1.0, 1.2)
    given = Tracker(25.0, TrackerConfig(appearance_strict=-1.0), space=X2_SPACE).config
    assert (given.appearance_strict, given.appearance_loose) == (-1.0, 1.2)  # an explicit value wins
