"""The atlas keeps attributes and its embedder: people filtered by attribute (CLI and REST), export
columns, and one atlas refusing another embedder's queries until it is re-embedded (resumably)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from atlas_fixtures import astronaut, make_album
from faceatlas.cli.app import app
from faceatlas.engines import scan
from faceatlas.errors import EmbedderMismatchError
from faceatlas.index import FaceIndex
from faceatlas.index.search import search_embedding
from faceatlas.models import is_available, load, registry
from faceatlas.models.dlib_resnet import DLIB_SPACE, WEIGHTS
from faceatlas.models.registry import ModelKind, ModelSpec
from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer
from faceatlas.service import ServiceSettings, create_app
from faceatlas.store import Atlas

runner = CliRunner()
HEADS = ("cydral-gender", "cydral-age", "fer-emotion")
ROTATED = "rotated-dlib-test"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The album scanned once with the default analyzer; the astronaut's person named."""
    root = tmp_path_factory.mktemp("attrs")
    album = make_album(root / "album")
    db = root / "atlas.sqlite3"
    with Atlas(db) as atlas:
        scan(atlas, [album])
        astro = next(f.person_id for f in atlas.faces.live() if "astronaut" in f.image_path and f.person_id)
        with atlas.transaction():
            atlas.people.rename(astro, "Eileen Collins")
    query = root / "query.png"
    Image.fromarray(astronaut()[20:480, 30:500]).save(query)
    return {"root": root, "album": album, "db": db, "astro": astro, "query": query}


def _json(args: list[str]):
    res = runner.invoke(app, args)
    return res.exit_code, json.loads(res.stdout)


def test_people_filtered_by_attributes(world):
    if not all(is_available(h) for h in HEADS):
        pytest.skip(f"heads not installed (faceatlas models install {' '.join(HEADS)})")
    db = str(world["db"])
    code, everyone = _json(["people", "--db", db, "--json"])
    assert code == 0 and len(everyone) == 2
    astro = next(p for p in everyone if p["id"] == world["astro"])
    assert astro["attributes"]["gender"] == "female" and astro["attributes"]["expression"] == "happy"
    assert set(astro["attributes"]["expression_scores"]) >= {"happy", "neutral"}
    code, women = _json(["people", "--where", "gender=female", "--where", "age_max=50", "--db", db, "--json"])
    assert code == 0 and [p["id"] for p in women] == [world["astro"]]
    code, old = _json(["people", "--where", "age_min=60", "--db", db, "--json"])  # Grace Hopper, about 79
    assert code == 0 and len(old) == 1 and old[0]["id"] != world["astro"]
    code, bad = _json(["people", "--where", "colour=red", "--db", db, "--json"])
    assert code == 2 and "unknown attribute 'colour'" in bad["error"]
    code, person = _json(["person", str(world["astro"]), "--db", db, "--json"])
    assert person["attributes"]["gender"] == "female" and "attributes" in person["faces"][0]

    client = TestClient(
        create_app(ServiceSettings(db=world["db"], roots=(world["album"],), analysis_processes=0)),
        base_url="http://127.0.0.1",
    )
    assert [p["id"] for p in client.get("/v1/people?gender=female&age_max=50").json()] == [world["astro"]]
    assert client.get("/v1/people?gender=female").json()[0]["attributes"]["gender"] == "female"
    bad = client.get("/v1/people?age_max=young")
    assert bad.status_code == 422 and "number" in bad.json()["error"]["message"]
    assert client.get(f"/v1/people/{world['astro']}").json()["attributes"]["gender"] == "female"
    assert "gender female" in client.get(f"/people/{world['astro']}").text  # the person page

    rows = _json(["export", "--db", db])[1]
    assert all(set(r["attributes"]) >= {"gender", "age", "expression"} for r in rows)
    out = world["root"] / "faces.csv"
    assert runner.invoke(app, ["export", "--format", "csv", "--out", str(out), "--db", db]).exit_code == 0
    header = out.read_text().splitlines()[0].split(",")
    assert {"gender", "age", "expression", "expression_scores"} <= set(header)


class RotatedEmbedder:
    """dlib's vectors turned by a fixed orthogonal matrix: the same distances in another space (a
    second embedder for the test, as real ones differ)."""

    name = ROTATED
    space = replace(DLIB_SPACE, name=ROTATED, version="1")

    def __init__(self) -> None:
        q, _ = np.linalg.qr(np.random.default_rng(7).normal(size=(128, 128)))
        self.rotation = q.astype(np.float32)
        self.inner = load("dlib-resnet-onnx")

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        return self.inner.embed_chips(chips) @ self.rotation.T


@pytest.fixture()
def rotated():
    spec = ModelSpec(
        ROTATED, ModelKind.EMBEDDER, "1", "test double", "onnxruntime", (WEIGHTS,), lambda p, o: RotatedEmbedder()
    )
    registry.register(replace(spec, space=RotatedEmbedder.space))
    yield load(ROTATED)
    registry._SPECS.pop(ROTATED, None)
    for key in [k for k in registry._LOADED if k[0] == ROTATED]:
        registry._LOADED.pop(key)


def _copy(src, dst):
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


def test_other_embedder_refused_until_reembedded_resumably(world, rotated, tmp_path):
    db = _copy(world["db"], tmp_path / "atlas.sqlite3")
    with Atlas(db) as atlas:
        before = {f.id: (f.embedding.copy(), f.person_id) for f in atlas.faces.live()}
        dlib_key = atlas.embedder
    assert dlib_key == DLIB_SPACE.key
    args = ["--db", str(db), "--json"]
    # a query from another space: CLI exit 2, REST 409
    code, out = _json(["search", str(world["query"]), "--embedder", ROTATED, *args])
    assert code == 2 and "embedder" in out["error"] and "--reembed" in out["error"]
    client = TestClient(
        create_app(
            ServiceSettings(db=db, roots=(world["album"],), analysis_processes=0),
            analyzer=FaceAnalyzer(AnalyzerConfig(embedder=ROTATED)),
        ),
        base_url="http://127.0.0.1",
    )
    res = client.post("/v1/search", files={"image": world["query"].read_bytes()})
    assert res.status_code == 409 and res.json()["error"]["code"] == "embedder_mismatch"
    # scanning with it is refused without --reembed
    code, out = _json(["scan", str(world["album"]), "--embedder", ROTATED, "--workers", "1", *args])
    assert code == 2 and "--reembed" in out["error"]

    # a re-embedding killed after two photos: the index and queries see only the new space
    def two_then_killed(items, config, workers):
        from faceatlas.engines.scan import run_items

        for i, res in enumerate(run_items(items, config, 1)):
            if i == 2:
                raise KeyboardInterrupt
            yield res

    with Atlas(db) as atlas, pytest.raises(KeyboardInterrupt):
        scan(atlas, [], AnalyzerConfig(embedder=ROTATED), reembed=True, engine=two_then_killed)
    with Atlas(db) as atlas:
        assert atlas.embedder == RotatedEmbedder.space.key
        models = atlas.faces.models()
        assert set(models) == {dlib_key, RotatedEmbedder.space.key}
        assert FaceIndex.open(atlas).size == models[RotatedEmbedder.space.key]
        with pytest.raises(EmbedderMismatchError):
            search_embedding(atlas, before[min(before)][0], embedder=dlib_key)
    # the next scan (the atlas's embedder by default) finishes it
    code, summary = _json(["scan", "--reembed", "--workers", "1", *args])
    assert code == 0 and summary["reembed_left"] == 0 and summary["reembedded"] == 4, summary
    with Atlas(db) as atlas:
        after = {f.id: (f.embedding, f.person_id) for f in atlas.faces.live()}
        assert set(atlas.faces.models()) == {RotatedEmbedder.space.key}
    assert set(after) == set(before)  # same faces, same ids: people and decisions stay
    for fid, (vec, _) in after.items():
        assert np.abs(vec - before[fid][0] @ rotated.rotation.T).max() < 1e-3
    assert {f for f, (_, p) in after.items() if p == world["astro"]} == {
        f for f, (_, p) in before.items() if p == world["astro"]
    }
    code, found = _json(["search", str(world["query"]), *args])
    assert code == 0 and found["people"][0]["name"] == "Eileen Collins"
    code, out = _json(["search", str(world["query"]), "--embedder", "dlib-resnet-onnx", *args])
    assert code == 2 and "embedder" in out["error"]
