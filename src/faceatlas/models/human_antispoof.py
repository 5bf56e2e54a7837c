"""Attribute head ``human-antispoof``: an anti-spoofing score in [0, 1] (1 = real), Human's 128 px
``antispoof`` CNN (sigmoid; fp16 weights). A candidate for ``liveness``, see
:mod:`faceatlas.models.human` and the README's measurements."""

from __future__ import annotations

from faceatlas.models.human import HumanNet, LiveScoreHead, npm_file
from faceatlas.models.registry import ModelKind, ModelSpec, register

NAME = "human-antispoof"
GRAPH = npm_file("antispoof", "json", "7fd698ae1cebabbcad79d3b8b448587b0365eb7911987418231bdcf36583112a")
WEIGHTS = npm_file("antispoof", "bin", "4490fecb2becdb6869edc7e60f5e59962be013a8def8719b1373afb0f905c094")


SPEC = register(
    ModelSpec(
        name=NAME,
        kind=ModelKind.ATTRIBUTE,
        version="3.0.4",
        description="real-vs-spoof score: Human's 128 px antispoof CNN (TF.js graph from npm, converted to ONNX)",
        runtime="onnxruntime",
        weights=(GRAPH, WEIGHTS),
        factory=lambda paths, options: LiveScoreHead(
            NAME, HumanNet(paths[GRAPH.filename], paths[WEIGHTS.filename], 128, options.threads)
        ),
    )
)
