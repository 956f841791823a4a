#!/usr/bin/env python3
"""Reference outputs of the nine light ONNX models (`aimc data fetch onnx-light`) from the ONNX
project's own reference evaluator (onnx 1.16.2, `pip install onnx==1.16.2 numpy`), for
tests/onnx_light.rs. Input: the closed form x[k] = ((k * 7919) % 1000) / 1000 - 0.5 over the
flat index k of the input (batch 1), so that no random generator has to agree across languages.
The light models' weights are all one constant, so their class probabilities are uniform; the
value recorded is the logits (the input of the last Softmax; the graph output where there is
none), whose magnitude depends on every layer. Writes
tests/fixtures/onnx-light-reference/<model>.txt: the value's name, then its shape, then one value
per line (%.9g).

usage: scripts/onnx-reference.py data/onnx-light tests/fixtures/onnx-light-reference
"""
import os
import sys

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_reference_ops import LRN, BatchNormalization  # noqa: E402


assert onnx.__version__ == "1.16.2", onnx.__version__
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for name in sorted(os.listdir(src)):
    if not name.endswith(".onnx"):
        continue
    model = onnx.load(os.path.join(src, name))
    inits = {i.name for i in model.graph.initializer}
    (inp,) = [i for i in model.graph.input if i.name not in inits]
    dims = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]
    n = int(np.prod(dims))
    x = (((np.arange(n, dtype=np.int64) * 7919) % 1000) / 1000.0 - 0.5).astype(np.float32)
    softmax = [n for n in model.graph.node if n.op_type == "Softmax"]
    value = softmax[-1].input[0] if softmax else model.graph.output[0].name
    if value not in [o.name for o in model.graph.output]:
        model.graph.output.append(onnx.helper.make_empty_tensor_value_info(value))
    (y,) = ReferenceEvaluator(model, new_ops=[BatchNormalization, LRN]).run([value], {inp.name: x.reshape(dims)})
    out = os.path.join(dst, name[: -len(".onnx")] + ".txt")
    with open(out + ".tmp", "w") as f:
        f.write(value + "\n")
        f.write(" ".join(str(d) for d in y.shape) + "\n")
        for v in y.reshape(-1):
            f.write("%.9g\n" % v)
    os.replace(out + ".tmp", out)
    print(name, y.shape, flush=True)
