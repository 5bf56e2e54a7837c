"""The REST service against a real SQLite atlas: endpoints, errors, keys, limits, path escapes,
and a bounded load test against a live server on loopback."""

from __future__ import annotations

import base64
import io
import os
import statistics
import threading
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from atlas_fixtures import astronaut, hopper, make_album
from faceatlas.engines import scan
from faceatlas.service import ServiceSettings, create_app
from faceatlas.store import Atlas
from service_server import LiveServer


def jpeg(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("svc")
    album = make_album(root / "album")
    db = root / "atlas.sqlite3"
    with Atlas(db) as atlas:
        scan(atlas, [album])
        with atlas.transaction():
            keys = {"admin": atlas.keys.create("admin"), "read": atlas.keys.create("read")}
    return {"root": root, "album": album, "db": db, "keys": keys}


@pytest.fixture()
def client(world):
    # analysis in threads here (fast start); the load test below runs the default worker processes
    app = create_app(ServiceSettings(db=world["db"], roots=(world["album"],), analysis_processes=0))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _person_with(client, needle: str) -> int:
    for p in client.get("/v1/people").json():
        faces = client.get(f"/v1/people/{p['id']}").json()["faces"]
        if any(needle in f["image"] for f in faces):
            return p["id"]
    raise AssertionError(needle)


def test_health_docs_and_openapi(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for p in [
        "/v1/detect",
        "/v1/analyze",
        "/v1/verify",
        "/v1/search",
        "/v1/people",
        "/v1/people/{person_id}",
        "/v1/people/{person_id}/merge",
        "/v1/faces/{face_id}/move",
        "/v1/faces/{face_id}/reject",
        "/v1/faces/{face_id}/thumbnail.jpg",
        "/v1/scan",
        "/v1/jobs/{job_id}",
    ]:
        assert p in paths, p


def test_detect_analyze_verify_multipart_and_base64(client):
    a = jpeg(astronaut())
    det = client.post("/v1/detect", files={"image": ("a.jpg", a, "image/jpeg")}).json()
    assert len(det["faces"]) == 1 and len(det["faces"][0]["bbox"]) == 4
    ana = client.post("/v1/analyze?embeddings=true", json={"image": base64.b64encode(a).decode()}).json()
    face = ana["faces"][0]
    assert len(face["embedding"]) == 128 and set(face["pose"]) == {"yaw", "pitch", "roll"}
    same = client.post("/v1/verify", files={"image_a": ("a.jpg", a), "image_b": ("b.jpg", jpeg(astronaut()[:, ::-1]))})
    assert same.status_code == 200 and same.json()["same"] is True
    diff = client.post(
        "/v1/verify",
        json={"image_a": base64.b64encode(a).decode(), "image_b": base64.b64encode(jpeg(hopper())).decode()},
    ).json()
    assert diff["same"] is False and set(diff) == {"same", "distance", "threshold", "similarity", "false_match_rate"}


def test_errors_are_json_with_status(client):
    bad = client.post("/v1/detect", files={"image": ("x.jpg", b"not an image")})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_image"
    blank = jpeg(np.full((200, 200, 3), 128, np.uint8))
    noface = client.post("/v1/verify", files={"image_a": ("a.jpg", blank), "image_b": ("b.jpg", blank)})
    assert noface.status_code == 422 and noface.json()["error"]["code"] == "no_face"
    missing = client.post("/v1/detect", files={"other": ("x.jpg", blank)})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "missing_image"
    assert client.get("/v1/people/9999").status_code == 404
    assert client.get("/v1/people/9999").json()["error"]["code"] == "not_found"
    assert client.post("/v1/detect", content=b"x", headers={"content-type": "text/plain"}).status_code == 415
    assert client.post("/v1/faces/1/move", json={"person_id": "x"}).json()["error"]["code"] == "invalid_request"


def test_upload_and_pixel_limits(world):
    app = create_app(ServiceSettings(db=world["db"], max_upload_bytes=50_000, max_pixels=200_000, analysis_processes=0))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        big = jpeg(np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8))
        r = c.post("/v1/detect", files={"image": ("big.jpg", big)})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        many = jpeg(np.zeros((600, 600, 3), np.uint8))  # small file, 360k pixels
        r = c.post("/v1/detect", files={"image": ("px.jpg", many)})
        assert r.status_code == 422 and "limit" in r.json()["error"]["message"]


def test_people_rename_merge_move_reject_thumbnail(client):
    astro, hop = _person_with(client, "astronaut"), _person_with(client, "hopper")
    r = client.patch(f"/v1/people/{astro}", json={"name": "Eileen Collins"})
    assert r.status_code == 200 and r.json()["name"] == "Eileen Collins"
    assert client.get(f"/v1/people/{astro}").json()["name"] == "Eileen Collins"
    unnamed = client.get("/v1/people?unnamed=true").json()
    assert [p["id"] for p in unnamed] == [hop]
    faces = client.get(f"/v1/people/{astro}").json()["faces"]
    thumb = client.get(f"/v1/faces/{faces[0]['id']}/thumbnail.jpg")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (160, 160)
    rej = client.post(f"/v1/faces/{faces[-1]['id']}/reject").json()
    assert rej["rejected_from"] == astro
    moved = client.post(f"/v1/faces/{faces[-1]['id']}/move", json={"person_id": hop})
    assert moved.status_code == 200
    assert any(f["id"] == faces[-1]["id"] for f in client.get(f"/v1/people/{hop}").json()["faces"])
    merged = client.post(f"/v1/people/{astro}/merge", json={"other": hop})
    assert merged.status_code == 200 and merged.json()["face_count"] == 6
    assert client.get(f"/v1/people/{hop}").status_code == 404
    assert client.post(f"/v1/people/{astro}/merge", json={"other": astro}).status_code == 409


def test_search_endpoint(client):
    r = client.post("/v1/search?top=3", files={"image": ("q.jpg", jpeg(astronaut()[30:480, 20:490]))}).json()
    assert r["people"][0]["same"] and len(r["faces"]) == 3 and r["faces"][0]["distance"] < 0.45


def test_keys_required_off_loopback(world):
    app = create_app(ServiceSettings(db=world["db"], host="0.0.0.0", roots=(world["album"],)))
    admin, read = world["keys"]["admin"], world["keys"]["read"]
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/v1/people").status_code == 401
        assert c.get("/v1/people").json()["error"]["code"] == "unauthorized"
        assert c.get("/v1/people", headers={"Authorization": "Bearer fa_wrong"}).status_code == 401
        assert c.get("/v1/people", headers={"X-API-Key": read}).status_code == 200
        pid = c.get("/v1/people", headers={"X-API-Key": read}).json()[0]["id"]
        denied = c.patch(f"/v1/people/{pid}", json={"name": "x"}, headers={"X-API-Key": read})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
        assert c.post("/v1/scan", json={"paths": ["."]}, headers={"X-API-Key": read}).status_code == 403
        ok = c.patch(f"/v1/people/{pid}", json={"name": "Named"}, headers={"Authorization": f"Bearer {admin}"})
        assert ok.status_code == 200
        assert c.get("/", headers={}).status_code == 401  # the page asks for a key too
        assert c.get("/", cookies={"faceatlas_key": read}).status_code == 200


def test_scan_job_and_path_escapes(world, client, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.fromarray(astronaut()).save(outside / "secret.jpg")
    link = world["album"] / "escape_link"
    if not link.exists():
        os.symlink(outside, link)
    file_link = world["album"] / "escape.jpg"
    if not file_link.exists():
        os.symlink(outside / "secret.jpg", file_link)
    for bad in ["../", str(outside), "sub/../../outside", "escape_link", str(link / "secret.jpg")]:
        r = client.post("/v1/scan", json={"paths": [bad]})
        assert r.status_code in (403, 404), (bad, r.json())
        assert r.json()["error"]["code"] in ("path_not_allowed", "not_found")
    job = client.post("/v1/scan", json={"paths": ["."]})
    assert job.status_code == 202
    job_id = job.json()["id"]
    deadline = time.time() + 120
    while (state := client.get(f"/v1/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.time() < deadline
        time.sleep(0.2)
    assert state["state"] == "done", state
    with Atlas(world["db"]) as atlas:
        assert not any("secret" in f.image_path or "escape" in f.image_path for f in atlas.faces.live())
    assert client.get("/v1/jobs/999").status_code == 404


def test_no_roots_means_no_server_side_scans(world):
    with TestClient(create_app(ServiceSettings(db=world["db"])), base_url="http://127.0.0.1") as c:
        assert c.post("/v1/scan", json={"paths": ["/"]}).status_code == 403


def test_load_verify_and_search_50_clients(world):
    """50 concurrent clients against a live server on loopback; bounded in count and time."""
    app = create_app(ServiceSettings(db=world["db"], analysis_processes=2))
    a, b = jpeg(astronaut()), jpeg(hopper())
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client_loop(url: str, n: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            for i in range(2):
                start = time.perf_counter()
                try:
                    if (n + i) % 2:
                        r = http.post("/v1/verify", files={"image_a": ("a.jpg", a), "image_b": ("b.jpg", b)})
                        ok = r.status_code == 200 and r.json()["same"] is False
                    else:
                        r = http.post("/v1/search?top=3", files={"image": ("a.jpg", a)})
                        ok = r.status_code == 200 and r.json()["faces"]
                except httpx.HTTPError as exc:
                    ok, r = False, exc
                with lock:
                    latencies.append(time.perf_counter() - start)
                    if not ok:
                        errors.append(str(getattr(r, "text", r))[:200])

    with LiveServer(app) as server:
        threads = [threading.Thread(target=client_loop, args=(server.url, n)) for n in range(50)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        wall = time.perf_counter() - t0
        health = httpx.get(server.url + "/healthz", timeout=5)
    p95 = statistics.quantiles(latencies, n=20)[18]
    print(
        f"\nload: 50 clients x 2 requests (verify/search): {len(latencies)} done in {wall:.1f} s, "
        f"p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, errors {len(errors)}"
    )
    assert errors == [] and len(latencies) == 100
    assert health.status_code == 200


def test_web_pages_render(client):
    page = client.get("/")
    assert page.status_code == 200 and "People" in page.text and "/v1/faces/" in page.text
    pid = client.get("/v1/people").json()[0]["id"]
    person = client.get(f"/people/{pid}")
    assert person.status_code == 200 and 'id="rename-form"' in person.text
    assert client.get("/?view=unnamed").status_code == 200
    res = client.post("/search", files={"image": ("q.jpg", jpeg(astronaut()))})
    assert res.status_code == 200 and "Match" in res.text
    assert client.get("/static/style.css").status_code == 200
    review = client.get("/review")
    assert review.status_code == 200 and "Review" in review.text


def test_review_queue_and_label_endpoints(client):
    queue = client.get("/v1/review?limit=5")
    assert queue.status_code == 200 and isinstance(queue.json(), list)
    faces = [q for q in queue.json() if q["kind"] == "face"]
    face_id = faces[0]["face_id"] if faces else client.get("/v1/people").json()[0]["cover_face"]
    r = client.post(f"/v1/faces/{face_id}/label", json={"name": "Ada Answer"})
    assert r.status_code == 200
    person = client.get(f"/v1/people/{r.json()['person_id']}").json()
    assert person["name"] == "Ada Answer" and any(f["id"] == face_id for f in person["faces"])
    assert client.post(f"/v1/faces/{face_id}/label", json={"name": ""}).status_code == 422
