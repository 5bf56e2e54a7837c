"""Attribute head ``human-liveness``: a liveness score in [0, 1] (1 = a live face), Human's 32 px
``liveness`` CNN (softmax of two; the first is "live", as Human reads it). See
:mod:`faceatlas.models.human`; measured on genuine photos and printed-photo stand-ins only (README)."""

from __future__ import annotations

from faceatlas.models.human import HumanNet, LiveScoreHead, npm_file
from faceatlas.models.registry import ModelKind, ModelSpec, register

NAME = "human-liveness"
GRAPH = npm_file("liveness", "json", "9e51c8acf83b80abbf329b2735309ab5c90611c66905ade8b1bd130d473df9c8")
WEIGHTS = npm_file("liveness", "bin", "fc6a6b6b3b9721bdb8bff67a457a15b7cbfd81715cfb27f3e65b757e81dd663e")


SPEC = register(
    ModelSpec(
        name=NAME,
        kind=ModelKind.ATTRIBUTE,
        version="3.0.4",
        description="liveness score: Human's 32 px liveness CNN (TF.js graph from npm, converted to ONNX at load)",
        runtime="onnxruntime",
        weights=(GRAPH, WEIGHTS),
        factory=lambda paths, options: LiveScoreHead(
            NAME, HumanNet(paths[GRAPH.filename], paths[WEIGHTS.filename], 32, options.threads)
        ),
    )
)
