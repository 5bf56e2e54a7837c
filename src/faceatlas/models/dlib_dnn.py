"""Reading dlib's serialised ResNet face descriptor (``dlib_face_recognition_resnet_model_v1.dat``)
and rebuilding it as an ONNX graph, so it can run batched in ONNX Runtime.

dlib writes a network as the loss layer, then every layer from the input upwards: a layer's name
string, its parameters, then bookkeeping (three '0'/'1' bools and three tensors). Integers are
dlib's variable-length form (first byte: number of magnitude bytes, 0x80 for negative; then those
bytes little-endian), tensors are ``version, num_samples, k, nr, nc`` and, for version 2, raw
little-endian float32, and scalar floats are (int64 mantissa, int16 exponent) pairs. Tag and skip
layers leave no name, so the residual wiring follows the documented ``anet_type`` definition:
each block is con → affine → relu → con → affine, added to its input (through a 2×2 average pool
and zero-padded channels in the down-sampling blocks), then relu.

An affine layer after a convolution is folded into it (W·γ, b·γ + β).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_NAME = re.compile(
    rb"\x01(?:\x05con_4|\x07affine_|\x05relu_|\x0amax_pool_2|\x0aavg_pool_2|\x09add_prev_|\x04fc_2|"
    rb"\x15input_rgb_image_sized)"
)


class _Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def int(self) -> int:
        head = self.data[self.pos]
        n = head & 0x0F
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + n], "little")
        self.pos += 1 + n
        return -value if head & 0x80 else value

    def float(self) -> float:
        mantissa, exponent = self.int(), self.int()
        return float(mantissa) * 2.0**exponent

    def tensor(self) -> np.ndarray:
        version = self.int()
        dims = [self.int() for _ in range(4)]
        count = int(np.prod(dims))
        if version == 2:
            arr = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos).copy()
            self.pos += 4 * count
        else:
            arr = np.array([self.float() for _ in range(count)], dtype=np.float32)
        return arr.reshape(dims)


@dataclass
class Conv:
    weight: np.ndarray  # (out, in, kh, kw)
    bias: np.ndarray
    stride: int
    pad: int


@dataclass
class DlibResNet:
    mean_rgb: tuple[float, float, float]
    stem: Conv
    stem_pool: tuple[int, int, int]  # window, stride, pad
    blocks: list[tuple[Conv, Conv, bool]] = field(default_factory=list)  # conv1, conv2, downsample
    fc: np.ndarray | None = None  # (in, out)


def read_dlib_resnet(path: Path) -> DlibResNet:
    """Parse the layers of dlib's face-descriptor network from its .dat file."""
    data = Path(path).read_bytes()
    layers: list[tuple[str, object]] = []
    for match in _NAME.finditer(data):
        name = match.group(0)[2:].decode()
        r = _Reader(data, match.end())
        if name == "input_rgb_image_sized":
            layers.append((name, (r.float(), r.float(), r.float())))
        elif name == "con_4":
            params = r.tensor().ravel()
            nf, nr, nc, sy, sx, py, px = (r.int() for _ in range(7))
            k = (len(params) - nf) // (nf * nr * nc)
            weight = params[: nf * k * nr * nc].reshape(nf, k, nr, nc)
            layers.append((name, Conv(weight, params[nf * k * nr * nc :].copy(), sy, py)))
            assert sx == sy and px == py
        elif name == "affine_":
            params = r.tensor().ravel()
            half = len(params) // 2
            layers.append((name, (params[:half], params[half:])))
        elif name in ("max_pool_2", "avg_pool_2"):
            nr, nc, sy, sx, py, px = (r.int() for _ in range(6))
            layers.append((name, (nr, sy, py)))
        elif name == "fc_2":
            _outputs, _inputs = r.int(), r.int()
            layers.append((name, r.tensor().reshape(_inputs, _outputs)))
        else:
            layers.append((name, None))
    return _assemble(layers)


def _fold(conv: Conv, affine: tuple[np.ndarray, np.ndarray]) -> Conv:
    gamma, beta = affine
    return Conv(conv.weight * gamma[:, None, None, None], conv.bias * gamma + beta, conv.stride, conv.pad)


def _assemble(layers: list[tuple[str, object]]) -> DlibResNet:
    names = [n for n, _ in layers]
    expected_head = ["input_rgb_image_sized", "con_4", "affine_", "relu_", "max_pool_2"]
    if names[:5] != expected_head or names[-2:] != ["avg_pool_2", "fc_2"]:
        raise ValueError(f"not dlib's ResNet face descriptor layout: {names[:6]} ... {names[-3:]}")
    net = DlibResNet(layers[0][1], _fold(layers[1][1], layers[2][1]), layers[4][1])
    i = 5
    while names[i] == "con_4":
        if names[i : i + 5] != ["con_4", "affine_", "relu_", "con_4", "affine_"]:
            raise ValueError(f"unexpected layer sequence at {i}: {names[i : i + 5]}")
        c1, c2 = _fold(layers[i][1], layers[i + 1][1]), _fold(layers[i + 3][1], layers[i + 4][1])
        i += 5
        down = names[i] == "avg_pool_2"
        if down and layers[i][1] != (2, 2, 0):
            raise ValueError(f"expected a 2x2 stride-2 average pool in a down-sampling block, got {layers[i][1]}")
        i += 2 if down else 1  # (avg_pool,) add_prev
        if names[i] != "relu_":
            raise ValueError(f"expected relu after a residual add at {i}, found {names[i]}")
        i += 1
        net.blocks.append((c1, c2, down))
    if names[i] != "avg_pool_2" or layers[i][1][0] != 0:
        raise ValueError("expected the global average pool before the fc layer")
    net.fc = layers[i + 1][1]
    return net


def to_onnx(net: DlibResNet, opset: int = 17):
    """An ONNX model: input ``chips`` (N, 3, 150, 150) float32 of raw 0-255 RGB, output
    ``descriptor`` (N, 128)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    count = [0]

    def const(arr: np.ndarray, prefix: str) -> str:
        count[0] += 1
        name = f"{prefix}_{count[0]}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), name))
        return name

    def conv(x: str, c: Conv, relu: bool) -> str:
        w, b = const(c.weight, "w"), const(c.bias, "b")
        out = f"conv_{count[0]}"
        nodes.append(
            helper.make_node(
                "Conv",
                [x, w, b],
                [out],
                kernel_shape=list(c.weight.shape[2:]),
                strides=[c.stride] * 2,
                pads=[c.pad] * 4,
            )
        )
        if relu:
            nodes.append(helper.make_node("Relu", [out], [out + "_r"]))
            out += "_r"
        return out

    def pad_to(x: str, shape: tuple[int, int], target: tuple[int, int], out: str) -> str:
        dc, ds = target[0] - shape[0], target[1] - shape[1]
        if dc == 0 and ds == 0:
            return x
        name = f"pads_{out}"
        inits.append(numpy_helper.from_array(np.array([0, 0, 0, 0, 0, dc, ds, ds], dtype=np.int64), name))
        nodes.append(helper.make_node("Pad", [x, name], [out], mode="constant"))
        return out

    mean = const(np.array(net.mean_rgb, dtype=np.float32).reshape(1, 3, 1, 1), "mean")
    scale = const(np.array([1 / 256.0], dtype=np.float32), "scale")
    nodes += [
        helper.make_node("Sub", ["chips", mean], ["centred"]),
        helper.make_node("Mul", ["centred", scale], ["x0"]),
    ]
    x = conv("x0", net.stem, relu=True)
    size = (150 + 2 * net.stem.pad - net.stem.weight.shape[2]) // net.stem.stride + 1
    window, stride, pad = net.stem_pool
    nodes.append(
        helper.make_node("MaxPool", [x], ["pool0"], kernel_shape=[window] * 2, strides=[stride] * 2, pads=[pad] * 4)
    )
    x, size = "pool0", (size + 2 * pad - window) // stride + 1
    channels = net.stem.weight.shape[0]
    for n, (c1, c2, down) in enumerate(net.blocks):
        h = conv(conv(x, c1, relu=True), c2, relu=False)
        h_size = (size + 2 * c1.pad - c1.weight.shape[2]) // c1.stride + 1
        skip, skip_size = x, size
        if down:
            nodes.append(helper.make_node("AveragePool", [x], [f"down_{n}"], kernel_shape=[2, 2], strides=[2, 2]))
            skip, skip_size = f"down_{n}", (size - 2) // 2 + 1
        out_ch = c2.weight.shape[0]
        # dlib's add_prev sums over the overlap; where only one input has values they pass through.
        # Zero-pad both inputs (at the end of each axis) to the larger shape.
        target = (max(out_ch, channels), max(h_size, skip_size))
        h = pad_to(h, (out_ch, h_size), target, f"hpad_{n}")
        skip = pad_to(skip, (channels, skip_size), target, f"spad_{n}")
        nodes += [
            helper.make_node("Add", [h, skip], [f"sum_{n}"]),
            helper.make_node("Relu", [f"sum_{n}"], [f"block_{n}"]),
        ]
        x, channels, size = f"block_{n}", target[0], target[1]
    fc = const(net.fc, "fc")
    nodes += [
        helper.make_node("GlobalAveragePool", [x], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", fc], ["descriptor"]),
    ]
    graph = helper.make_graph(
        nodes,
        "dlib_resnet_v1",
        [helper.make_tensor_value_info("chips", TensorProto.FLOAT, ["N", 3, 150, 150])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", net.fc.shape[1]])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="faceatlas")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
