"""Naming: caption sources, the name extractor, face naming from captions, few labels → everyone,
the review queue, and user answers beating automatic names."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from atlas_fixtures import astronaut, hopper, side_by_side, variants
from faceatlas.cli.app import app
from faceatlas.engines import scan
from faceatlas.io.captions import caption_for, embedded_caption, read_manifest
from faceatlas.people.identify import identify, question_order
from faceatlas.people.labeling import answer, identify_people, name_from_captions, review_queue
from faceatlas.people.names import extract_names, parse_caption
from faceatlas.people.naming import auto_apply, name_faces
from faceatlas.store import Atlas

runner = CliRunner()


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Bush meets Putin", []),  # lone words are no people without a title or a known name
        ("President Bush meets President Putin at the Kremlin", ["Bush", "Putin"]),
        ("Mrs. Smith (left) and her son", ["Smith"]),
        ("Angela Merkel and Barack Obama at the G20 summit in Hamburg on Friday.", ["Angela Merkel", "Barack Obama"]),
        (
            "From left, Hanna Silva, Mateo Okafor and Diego Dubois during the ceremony in London.",
            ["Hanna Silva", "Mateo Okafor", "Diego Dubois"],
        ),
        ("Yesterday Jean-Luc Picard met Ludwig van Beethoven.", ["Jean-Luc Picard", "Ludwig van Beethoven"]),
        ("The White House Press Secretary Sean Spicer speaks.", ["Sean Spicer"]),
        ("FILE PHOTO: Elon Musk attends the Met Gala in New York, May 2, 2022. REUTERS/Jane Doe", ["Elon Musk"]),
        ("Protesters gather outside. Police said Smith was arrested.", []),
        ("Dr. Jane Goodall, left, with Prince William in London.", ["Jane Goodall", "William"]),
        ("Barack Obama waves. Obama later met Biden.", ["Barack Obama"]),
        ("A sunset over the harbour.", []),
    ],
)
def test_name_extraction_rules(caption, expected):
    assert extract_names(caption, use_ner=False) == expected


def test_known_names_are_found_by_surname():
    assert extract_names("Bush meets Putin", known=["Vladimir Putin"], use_ner=False)[0] == "Vladimir Putin"


def test_caption_sources(tmp_path):
    img = Image.fromarray(astronaut())
    plain = tmp_path / "plain.jpg"
    img.save(plain)
    assert caption_for(plain) is None
    (tmp_path / "plain.jpg.txt").write_text("Eileen Collins before launch\n")
    assert caption_for(plain) == ("Eileen Collins before launch", "sidecar")
    exif = Image.Exif()
    exif[0x010E] = "Grace Hopper at Harvard"
    with_exif = tmp_path / "exif.jpg"
    img.save(with_exif, exif=exif)
    assert embedded_caption(with_exif) == "Grace Hopper at Harvard"
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
        b'<rdf:li xml:lang="x-default">Ada Lovelace &amp; friends</rdf:li></rdf:Alt></dc:description>'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    with_xmp = tmp_path / "xmp.jpg"
    img.save(with_xmp, xmp=xmp)
    assert embedded_caption(with_xmp) == "Ada Lovelace & friends"
    iptc = tmp_path / "iptc.jpg"
    # an APP13 Photoshop block with IPTC 2:120 Caption-Abstract
    record = b"\x1c\x02\x78" + len(b"Alan Turing at work").to_bytes(2, "big") + b"Alan Turing at work"
    block = b"8BIM\x04\x04\x00\x00" + len(record).to_bytes(4, "big") + record
    app13 = b"Photoshop 3.0\x00" + block
    data = io.BytesIO()
    img.save(data, format="JPEG")
    raw = data.getvalue()
    iptc.write_bytes(raw[:2] + b"\xff\xed" + (len(app13) + 2).to_bytes(2, "big") + app13 + raw[2:])
    assert embedded_caption(iptc) == "Alan Turing at work"
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"image": "plain.jpg", "caption": "x"}) + "\n\n")
    assert list(read_manifest(manifest)) == [(tmp_path / "plain.jpg", "x")]
    manifest.write_text("{not json}\n")
    with pytest.raises(ValueError, match="m.jsonl:1"):
        list(read_manifest(manifest))


def _clusters(n_ids: int, per: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    c = rng.normal(0, 0.054, (n_ids, 128))
    x = np.repeat(c, per, axis=0) + rng.normal(0, 0.025, (n_ids * per, 128))
    return x, np.repeat(np.arange(n_ids), per)


def test_one_name_per_face_per_photo_with_pooling():
    x, y = _clusters(3, 5)  # people 0,1,2; face index = 5*person + k
    names = {0: "Ann Lee", 1: "Bo Kim", 2: "Cy Roe"}
    photos, caps = [], []
    for k in range(4):  # persons 0 and 1 together, captions name both (in varying order) and a distractor
        photos.append([k, 5 + k])
        other = f"Distractor Number{k}"
        caps.append([names[1], names[0], other] if k % 2 else [names[0], other, names[1]])
    photos.append([4])  # person 0 once alone, captioned with a distractor too: the only asymmetry
    caps.append([names[0], "Distractor Again"])
    photos.append([10, 11])  # person 2 twice in one photo: only one face may take the name
    caps.append([names[2]])
    result = name_faces(photos, caps, x)
    for f in range(10):
        if f != 9:
            assert result[f].name == names[int(y[f])], (f, result[f])
    assert sorted(str(result[f].name) for f in (10, 11)) == ["Cy Roe", "None"]
    for p in photos:  # never the same name twice in a photo
        got = [result[f].name for f in p if result[f].name]
        assert len(got) == len(set(got))


def test_identify_and_question_order():
    x, y = _clusters(4, 5)
    labels = np.full(len(x), -1)
    labels[[0, 5, 10]] = y[[0, 5, 10]]  # person 3 has no label
    pred, conf = identify(x, labels)
    assert (pred[:15] == y[:15]).all() and (pred[15:] == -1).all()
    ask = question_order(x, labels)
    assert ask[0] >= 15, "the most useful question is about the person nobody has labelled"


def test_scores_from_nearest_labelled_faces_match_exact_ones():
    """FAISS-based scores equal brute force, also for faces whose nearest labelled faces are all one
    person's (the runner-up is then found by a search that leaves that person out)."""
    from scipy.spatial.distance import cdist

    from faceatlas.people.identify import scores as _scores

    x, y = _clusters(6, 12)
    labels = np.where(np.arange(len(x)) % 2 == 0, y, -1)
    open_ = np.nonzero(labels < 0)[0]
    best, conf = _scores(x.astype(np.float32), labels, open_, 0.6, k=4)  # k below a person's 6 labels
    d = np.sort(np.stack([cdist(x[open_], x[labels == c]).min(axis=1) for c in range(6)], axis=1), axis=1)
    s = 1 / (1 + np.exp((d[:, :2] - 0.6) / 0.05))
    assert (best == y[open_]).all()
    np.testing.assert_allclose(conf, s[:, 0] * (1 - s[:, 1]), atol=1e-5)
    assert conf.min() > 0.9
    one_person = np.where(y == 0, 0, -1)
    assert (_scores(x.astype(np.float32), one_person, open_, 0.6, k=4)[1][y[open_] == 0] > 0.9).all()


@pytest.fixture()
def captioned_atlas(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    a, h = astronaut(), hopper()
    for i, (va, vh) in enumerate(zip(variants(a), variants(h))):
        Image.fromarray(side_by_side(va, vh)).save(folder / f"pair_{i}.jpg")
        (folder / f"pair_{i}.jpg.txt").write_text(
            [
                "Eileen Collins and Grace Hopper at the museum.",
                "Grace Hopper meets Eileen Collins.",
                "From left, Eileen Collins, Grace Hopper. Organisers thanked Tom Novak.",
            ][i]
        )
    # the two always appear together above; one photo of her alone is what tells the names apart
    Image.fromarray(a[:, ::-1]).save(folder / "solo.jpg")
    (folder / "solo.txt").write_text("Eileen Collins during training, 1995.")
    with Atlas(tmp_path / "atlas.sqlite3") as atlas:
        scan(atlas, [folder])
        yield atlas


def _person(atlas, left: bool) -> int:
    faces = [f for f in atlas.faces.live() if "pair_0" in f.image_path]
    face = min(faces, key=lambda f: f.bbox.x1) if left else max(faces, key=lambda f: f.bbox.x1)
    return face.person_id


def test_names_from_captions_in_the_atlas(captioned_atlas):
    atlas = captioned_atlas
    assert len(atlas.images.captions()) == 4
    proposals = name_from_captions(atlas)
    astro, hop = _person(atlas, True), _person(atlas, False)
    assert atlas.people.get(astro).name == "Eileen Collins" and atlas.people.get(hop).name == "Grace Hopper"
    assert proposals and all(p.applied and p.confidence >= 0.6 for p in proposals)
    from faceatlas.people.caption_naming import caption_name_sources

    sources = caption_name_sources(atlas, astro)
    assert sources and all(s.name == "Eileen Collins" and s.applied for s in sources)
    assert {atlas.images.get(s.image_id).path.rsplit("/", 1)[-1] for s in sources} >= {"solo.jpg"}
    db = str(atlas.path)
    rows = json.loads(runner.invoke(app, ["captions", "sources", "--person", str(astro), "--db", db, "--json"]).stdout)
    assert rows and all(r["name"] == "Eileen Collins" and r["image"].endswith(".jpg") for r in rows)
    res = runner.invoke(app, ["captions", "undo", str(rows[0]["face_id"]), "--db", db, "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["undone"]
    again = runner.invoke(app, ["captions", "undo", str(rows[0]["face_id"]), "--db", db, "--json"])
    assert again.exit_code == 2 and "no caption name" in json.loads(again.stdout)["error"]


def test_user_answers_override_automatic_names(captioned_atlas):
    atlas = captioned_atlas
    name_from_captions(atlas)
    astro = _person(atlas, True)
    from faceatlas.people.corrections import name_person

    name_person(atlas, astro, "Cmdr. Collins")  # the user's word
    name_from_captions(atlas)
    assert atlas.people.get(astro).name == "Cmdr. Collins"
    face = next(f for f in atlas.faces.live() if f.person_id == astro)
    person = answer(atlas, face.id, "Someone Else")
    assert atlas.faces.get(face.id).person_id == person and atlas.faces.get(face.id).source == "user"
    identify_people(atlas)
    assert atlas.faces.get(face.id).person_id == person


def test_review_queue_and_label_cli(captioned_atlas):
    atlas = captioned_atlas
    name_from_captions(atlas, threshold=1.01, min_photos=10**6)  # nothing applied: everything goes to review
    queue = review_queue(atlas)
    assert queue[0]["kind"] == "name" and {q["proposed_name"] for q in queue if q["kind"] == "name"} == {
        "Eileen Collins",
        "Grace Hopper",
    }
    db = str(atlas.path)
    face_items = [q for q in queue if q.get("face_id")]  # every question shows a face to answer through
    assert face_items, queue
    res = runner.invoke(app, ["label", str(face_items[0]["face_id"]), "Grace Hopper", "--db", db])
    assert res.exit_code == 0, res.output
    out = json.loads(runner.invoke(app, ["review", "--db", db, "--json"]).stdout)
    assert all(q.get("face_id") != face_items[0]["face_id"] for q in out)
    res = runner.invoke(app, ["identify", "--db", db, "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["labelled"] >= 1


def _synthetic_atlas(tmp_path, x, photos, captions, person_of):
    """An atlas whose photos hold the faces ``photos[p]`` (rows of ``x``, left to right) with
    ``captions[p]``, and faces already grouped as ``person_of`` says (face → person key)."""
    from faceatlas.types import BBox, Face

    atlas = Atlas(tmp_path / "synthetic.sqlite3")
    people: dict[str, int] = {}
    with atlas.transaction():
        for p, (faces, caption) in enumerate(zip(photos, captions)):
            image = atlas.images.upsert(f"/news/{p}.jpg", size=1, mtime_ns=1, sha256=str(p), status="done")
            recs = [
                Face(BBox(100 * k, 0, 100 * k + 80, 80), 0.9, np.zeros((5, 2)), embedding=x[f].astype(np.float32))
                for k, f in enumerate(faces)
            ]
            ids = atlas.faces.replace_for_image(image, recs)
            atlas.images.set_caption(image, caption, "sidecar")
            for f, face_id in zip(faces, ids):
                key = person_of[f]
                if key not in people:
                    people[key] = atlas.people.create()
                atlas.people.assign(face_id, people[key], "auto", 0.9)
    return atlas


def test_one_impure_cluster_still_gets_its_faces_named_right(tmp_path):
    """Clustering joined Ann's and Bo's faces into one person: naming works on faces, so Ann's faces
    keep the person and the name, Bo's move to a person named Bo Kim, and nothing is blocked."""
    from faceatlas.people.caption_naming import caption_name_sources, undo_caption_name

    x, y = _clusters(3, 4, seed=1)  # Ann 0-3, Bo 4-7, Cy 8-11
    names = ["Ann Lee", "Bo Kim", "Cy Roe"]
    photos, captions = [], []
    for k in range(4):
        a, b = (0, 1) if k % 2 else (1, 2)
        pa, pb = int(np.nonzero(y == a)[0][k]), int(np.nonzero(y == b)[0][k])
        photos.append([pa, pb])
        captions.append(f"Sen. {names[a]} (L) and Actress {names[b]} (R) in Geneva, Jan. 4, 2013. (AP Photo/Jo Doe)")
    person_of = {f: ("mixed" if y[f] in (0, 1) else "cy") for f in range(len(x))}
    with _synthetic_atlas(tmp_path, x, photos, captions, person_of) as atlas:
        assert len({f.person_id for f in atlas.faces.live() if y[_row(atlas, f, photos)] in (0, 1)}) == 1
        name_from_captions(atlas)
        for face in atlas.faces.live():
            truth = names[int(y[_row(atlas, face, photos)])]
            assert atlas.people.get(face.person_id).name == truth, (face.id, truth)
        moved = [s for s in caption_name_sources(atlas) if s.applied and s.name == "Bo Kim"]
        assert moved and all(s.from_person is not None for s in moved)
        # undo one: the face goes back where it was and the name is not applied to it again
        face_id = moved[0].face_id
        assert undo_caption_name(atlas, face_id)
        assert atlas.faces.get(face_id).person_id == moved[0].from_person
        name_from_captions(atlas)
        assert atlas.faces.get(face_id).person_id == moved[0].from_person
        # "not this person" from the user is never overridden by a caption
        from faceatlas.people.corrections import reject_face

        other = moved[1].face_id
        bo = atlas.faces.get(other).person_id
        reject_face(atlas, other)
        name_from_captions(atlas)
        assert atlas.faces.get(other).person_id != bo


def _row(atlas, face, photos) -> int:
    """The row of ``x`` a stored face came from (photo from its path, place from its box)."""
    p = int(face.image_path.rsplit("/", 1)[-1].split(".")[0])
    return photos[p][int(face.bbox.x1 // 100)]


@pytest.mark.parametrize("first", ["Ann Lee", "Bo Kim"])
def test_positions_tell_apart_people_always_photographed_together(first):
    """Two people always photographed together: only "(L)" / "(R)" can say who is who (with either
    name on either identity, so a lucky tie-break cannot pass the test)."""
    x, y = _clusters(2, 4, seed=3)
    second = "Bo Kim" if first == "Ann Lee" else "Ann Lee"
    photos, caps, centres = [], [], np.zeros(len(x))
    for k in range(4):
        a, b = int(np.nonzero(y == 0)[0][k]), int(np.nonzero(y == 1)[0][k])
        left, right = (a, b) if k % 2 else (b, a)
        centres[left], centres[right] = 10.0, 200.0
        who = {a: first, b: second}
        caps.append(parse_caption(f"{who[right]} (R) greets {who[left]} (L).", use_ner=False))
        photos.append([b, a])
    result = name_faces(photos, caps, x, centres=centres)
    assert all(result[f].name == (first if y[f] == 0 else second) for f in range(len(x)))


def test_a_name_seen_once_cannot_confirm_itself():
    """A distractor named in one photo only never becomes confident by matching its own face."""
    x, y = _clusters(3, 4, seed=5)
    photos = [[0], [1], [2], [3], [4]]
    caps = [["Ann Lee"], ["Ann Lee"], ["Ann Lee"], ["Ann Lee"], ["Ann Lee", "Zed Once"]]  # face 4 is Bo
    result = name_faces(photos, caps, x)
    assert all(result[f].name == "Ann Lee" and auto_apply(result[f]) for f in range(4))
    assert not auto_apply(result[4]), result[4]


def test_captions_that_appear_or_change_after_a_scan_are_read(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(astronaut()).save(folder / "a.jpg")
    with Atlas(tmp_path / "atlas.sqlite3") as atlas:
        scan(atlas, [folder])
        image = atlas.images.get_by_path(str(folder / "a.jpg")).id
        assert atlas.images.caption(image) is None
        (folder / "a.jpg.txt").write_text("Eileen Collins before launch")
        summary = scan(atlas, [folder])
        assert summary.analyzed == 0 and summary.captions_updated == 1
        assert atlas.images.caption(image) == ("Eileen Collins before launch", "sidecar")
        (folder / "a.jpg.txt").write_text("Cmdr. Eileen Collins, 1999")
        scan(atlas, [folder])
        assert atlas.images.caption(image) == ("Cmdr. Eileen Collins, 1999", "sidecar")
        (folder / "a.jpg.txt").unlink()
        assert scan(atlas, [folder]).captions_updated == 1 and atlas.images.caption(image) is None
