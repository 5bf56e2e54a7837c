"""The reliability table of the README: the malformed corpus, scans killed at random moments,
analysis workers killed under load, and what each security check refuses.

    python benchmarks/reliability.py [--runs 4] [--clients 50] [--out reliability.json]

Everything is generated here (seeded): the 1,003-file corpus of tests/malformed_corpus.py, an album
of the real faces that ship with scikit-image and matplotlib. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from atlas_fixtures import astronaut, hopper, make_album, variants  # noqa: E402
from malformed_corpus import PEAK_RSS_CHILD, build, peak_rss_kib  # noqa: E402


def run_cli(args: list[str], timeout: float) -> dict:
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", PEAK_RSS_CHILD, *args], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"hang": True, "seconds": timeout}
    err = proc.stderr.decode("utf-8", "replace")
    kib = peak_rss_kib(err)
    peak = None if kib is None else kib // 1024
    return {
        "hang": False,
        "exit": proc.returncode,
        "crash": proc.returncode not in (0,) or "Traceback" in err,
        "seconds": round(time.perf_counter() - start, 1),
        "peak_rss_mib": peak,
        "skip_lines": sum(1 for ln in err.splitlines() if ln.startswith("skip ")),
        "stdout": proc.stdout,
    }


def corpus_runs(work: Path) -> dict:
    corpus = build(work / "corpus")
    scan = run_cli(["scan", str(corpus.root), "--db", str(work / "corpus.sqlite3"), "--workers", "1"], 600)
    analyze = run_cli(["analyze", str(corpus.root), "--json"], 600)
    entries = json.loads(analyze.pop("stdout")) if not analyze["hang"] else []
    scan.pop("stdout", None)
    return {"files": corpus.total, "bad": corpus.n_bad, "scan": scan, "analyze": analyze | {"entries": len(entries)}}


def _state(db: Path) -> tuple:
    from faceatlas.store import Atlas

    with Atlas(db) as a:
        people = sorted(sorted(Path(f.image_path).name for f in a.faces.of_person(p.id)) for p in a.people.all())
        return (a.images.counts().get("done", 0), a.faces.count(), tuple(map(tuple, people)))


def _committed(db: Path) -> int:
    import sqlite3

    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM images").fetchone()[0])
    except sqlite3.Error:
        return 0


def kill_runs(work: Path, runs: int, kills_per_run: int = 3, seed: int = 14) -> dict:
    """Each run: kill -9 a 2-worker scan ``kills_per_run`` times, each at a random point of its progress
    (once a random number of photos is stored; a new scan each time), then let one finish; its end
    state (photos, faces, people) is compared with an uninterrupted scan's."""
    from PIL import Image

    album = make_album(work / "album")
    for i, v in enumerate(variants(astronaut()) + variants(hopper())):
        Image.fromarray(v[::-1, ::-1]).save(album / f"turned_{i}.jpg")
    ref = work / "ref.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "faceatlas", "scan", str(album), "--db", str(ref), "--workers", "1"],
        check=True,
        capture_output=True,
    )
    rng = random.Random(seed)
    total = len(list(album.glob("**/*.jpg")))
    results = []
    for k in range(runs):
        db = work / f"killed_{k}.sqlite3"
        cmd = [sys.executable, "-m", "faceatlas", "scan", str(album), "--db", str(db), "--workers", "2"]
        targets = sorted(rng.sample(range(1, total), kills_per_run))  # kill once this many photos are stored
        killed, at = 0, []
        for target in targets:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 600
            while proc.poll() is None and _committed(db) < target and time.time() < deadline:
                time.sleep(rng.uniform(0.01, 0.2))
            if proc.poll() is not None:
                continue  # finished (or failed) before the kill
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            killed += 1
            at.append(_committed(db))
        subprocess.run(cmd, check=True, capture_output=True)
        results.append({"kills": killed, "photos_stored_at_kills": at, "same_end_state": _state(db) == _state(ref)})
    return {
        "runs": results,
        "kills": sum(r["kills"] for r in results),
        "survived": sum(r["kills"] for r in results if r["same_end_state"]),
    }


def load_with_worker_kills(work: Path, clients: int) -> dict:
    import io

    import httpx
    from PIL import Image

    from faceatlas.engines import scan
    from faceatlas.service import ServiceSettings, create_app
    from faceatlas.store import Atlas
    from service_server import LiveServer

    album = make_album(work / "svc")
    db = work / "svc.sqlite3"
    with Atlas(db) as atlas:
        scan(atlas, [album])

    def jpeg(arr) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="JPEG", quality=90)
        return buf.getvalue()

    a, b = jpeg(astronaut()), jpeg(hopper())
    app = create_app(ServiceSettings(db=db, analysis_processes=2, request_timeout_s=300))
    latencies, codes, lock = [], [], threading.Lock()

    def client(url: str, n: int) -> None:
        with httpx.Client(base_url=url, timeout=300) as http:
            for i in range(2):
                t = time.perf_counter()
                try:
                    if (n + i) % 2:
                        r = http.post("/v1/verify", files={"image_a": ("a.jpg", a), "image_b": ("b.jpg", b)})
                    else:
                        r = http.post("/v1/search?top=3", files={"image": ("a.jpg", a)})
                    code = r.status_code
                except httpx.HTTPError:
                    code = -1
                with lock:
                    latencies.append(time.perf_counter() - t)
                    codes.append(code)

    with LiveServer(app) as server:
        httpx.post(server.url + "/v1/detect", files={"image": ("a.jpg", a)}, timeout=300)  # workers up
        threads = [threading.Thread(target=client, args=(server.url, n)) for n in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        worker_kills = 0
        for _ in range(2):  # as the OOM killer would, twice during the load
            time.sleep(3)
            pool = app.state.gate._pool
            procs = list(pool._processes.values()) if pool is not None else []
            if procs:
                os.kill(procs[0].pid, signal.SIGKILL)
                worker_kills += 1
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        health = httpx.get(server.url + "/healthz", timeout=10).json()
        after = httpx.post(
            server.url + "/v1/verify", files={"image_a": ("a.jpg", a), "image_b": ("b.jpg", b)}, timeout=300
        ).status_code
    ok = sum(1 for c in codes if c == 200)
    return {
        "clients": clients,
        "requests": len(codes),
        "ok": ok,
        "worker_lost_503": sum(1 for c in codes if c == 503),
        "other_errors": sum(1 for c in codes if c not in (200, 503)),
        "p50_s": round(statistics.median(latencies), 2),
        "p95_s": round(statistics.quantiles(latencies, n=20)[18], 2),
        "wall_s": round(wall, 1),
        "worker_kills": worker_kills,
        "restarts": health["analysis"]["restarts"],
        "after_kills": after,
    }


def security_checks(work: Path) -> list[dict]:
    from fastapi.testclient import TestClient
    from PIL import Image

    from faceatlas.service import ServiceSettings, create_app
    from faceatlas.store import Atlas
    from faceatlas.types import BBox, Face

    photos = work / "sec"
    photos.mkdir()
    Image.new("RGB", (120, 120)).save(photos / "p.jpg")
    (work / "outside.jpg").write_bytes((photos / "p.jpg").read_bytes())
    (photos / "link.jpg").symlink_to(work / "outside.jpg")
    db = work / "sec.sqlite3"
    import numpy as np

    with Atlas(db) as atlas, atlas.transaction():
        for name in ("p.jpg", "link.jpg"):
            img = atlas.images.upsert(str(photos / name), size=1, mtime_ns=1, sha256="0", status="done")
            atlas.faces.replace_for_image(
                img, [Face(BBox(10, 10, 60, 60), 0.9, np.zeros((5, 2)), embedding=np.ones(128))]
            )
        atlas.people.create()
    rows = []

    def check(name: str, client, method: str, url: str, expect: int, **kw) -> None:
        r = client.request(method, url, **kw)
        code = (
            r.json().get("error", {}).get("code")
            if r.headers.get("content-type", "").startswith("application/json")
            else ""
        )
        rows.append(
            {
                "check": name,
                "request": f"{method.upper()} {url}",
                "status": r.status_code,
                "code": code,
                "refused": r.status_code == expect,
            }
        )

    keyless = create_app(ServiceSettings(db=db, roots=(photos,), analysis_processes=0))
    with TestClient(keyless, base_url="http://127.0.0.1") as c:
        check(
            "cross-site simple POST (text/plain, Origin elsewhere)",
            c,
            "post",
            "/v1/faces/1/reject",
            403,
            headers={"origin": "https://evil.example", "content-type": "text/plain"},
            content="x",
        )
        check(
            "cross-site PATCH (Sec-Fetch-Site: cross-site)",
            c,
            "patch",
            "/v1/people/1",
            403,
            headers={"sec-fetch-site": "cross-site"},
            json={"name": "x"},
        )
        check(
            "DNS rebinding (Host: attacker.example)", c, "get", "/v1/people", 403, headers={"host": "attacker.example"}
        )
        check("scan outside --root", c, "post", "/v1/scan", 403, json={"paths": ["/etc"]})
        check("scan with ../ escape", c, "post", "/v1/scan", 403, json={"paths": ["../../etc"]})
        check("thumbnail of a photo replaced by a symlink out", c, "get", "/v1/faces/2/thumbnail.jpg", 403)
        check("id beyond 64 bits", c, "get", f"/v1/people/{2**70}", 422)
        check(
            "JSON nested 100,000 deep",
            c,
            "patch",
            "/v1/people/1",
            422,
            content="[" * 100_000 + "]" * 100_000,
            headers={"content-type": "application/json"},
        )
        check(
            "threshold=nan",
            c,
            "post",
            "/v1/verify?threshold=nan",
            422,
            files={"image_a": ("a", b"x"), "image_b": ("b", b"x")},
        )
        check('PATCH with an unknown field ({"nam": ...})', c, "patch", "/v1/people/1", 422, json={"nam": "x"})
        check("blank name", c, "patch", "/v1/people/1", 422, json={"name": "   "})
        check(
            "upload over the limit (Content-Length)",
            c,
            "post",
            "/v1/detect",
            413,
            content=b"x" * (60 * 2**20),
            headers={"content-type": "application/json"},
        )
    keyed = create_app(ServiceSettings(db=db, host="0.0.0.0", analysis_processes=0))
    with TestClient(keyed, base_url="http://photos.example") as c:
        check("no key on a non-loopback bind", c, "get", "/v1/people", 401)
    return rows


def chunked_check(work: Path) -> dict:
    """300 MiB sent chunked (no Content-Length) to a live server: when is it refused?"""
    import select
    import socket

    from faceatlas.service import ServiceSettings, create_app
    from service_server import LiveServer

    db = work / "chunk.sqlite3"
    app = create_app(ServiceSettings(db=db, analysis_processes=0))
    with LiveServer(app) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sock.sendall(
            b"POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        piece = b"10000\r\n" + b"A" * 0x10000 + b"\r\n"
        sent = 0
        try:
            while sent < 300 * 2**20:
                readable, writable, _ = select.select([sock], [sock], [], 10)
                if readable:
                    break
                sock.sendall(piece)
                sent += 0x10000
            answer = sock.recv(200)
        except OSError:
            answer = b"(connection closed by the server)"
        sock.close()
    return {"sent_mib": round(sent / 2**20, 1), "answer": answer.split(b"\r\n", 1)[0].decode()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=4, help="scans killed 3 times each at random moments, then finished")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--skip-corpus", action="store_true", help="(the corpus part alone is the corpus test)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="faceatlas-reliability-") as tmp:
        work = Path(tmp)
        result = {"corpus": corpus_runs(work)} if not args.skip_corpus else {"corpus": None}
        print(json.dumps(result["corpus"], indent=1), flush=True)
        result["kills"] = kill_runs(work, args.runs) if args.runs else None
        print(json.dumps(result["kills"], indent=1), flush=True)
        result["load"] = load_with_worker_kills(work, args.clients) if args.clients else None
        print(json.dumps(result["load"], indent=1), flush=True)
        result["chunked"] = chunked_check(work)
        result["security"] = security_checks(work)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    print("\n| check | request | answer |\n|---|---|---|")
    for r in result["security"]:
        print(f"| {r['check']} | `{r['request'][:60]}` | {r['status']} {r['code']} |")
    print(json.dumps(result["chunked"]))


if __name__ == "__main__":
    main()
