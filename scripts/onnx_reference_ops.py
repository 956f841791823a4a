"""Operators of onnx 1.16.2's reference evaluator replaced by their definitions (see each
class), for the reference scripts of aimc's tests."""
import math

import numpy as np
from onnx.reference.op_run import OpRun


class BatchNormalization(OpRun):
    """Inference-mode batch normalisation, y = scale (x - mean) / sqrt(var + epsilon) + bias
    (ONNX operator BatchNormalization, every opset, for a node with one output). onnx 1.16.2's
    BatchNormalization_9 fills the `momentum` attribute's default and then normalises with the
    batch's own statistics instead of the given mean and variance, contrary to the operator's
    definition; this replaces it for these models (opset 9)."""

    op_domain = ""

    def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None, training_mode=None):
        shape = [1, -1] + [1] * (x.ndim - 2)
        eps = 1e-5 if epsilon is None else epsilon
        r = lambda v: v.reshape(shape)
        y = r(scale) * (x - r(mean)) / np.sqrt(r(var) + eps) + r(bias)
        return (y.astype(x.dtype),)


class LRN(OpRun):
    """y = x / (bias + alpha / size * sum of x^2 over channels c - floor((size - 1) / 2) ..=
    c + ceil((size - 1) / 2))^beta (ONNX operator LRN). onnx 1.16.2's LRN loops over
    `range(x.shape[0])`, the batch, instead of the channels, so with a batch of 1 only channel
    0 is normalised (its node tests pass because their batch equals their channel count, 5);
    this replaces it with the same code looping over the channels."""

    op_domain = ""

    def _run(self, x, alpha=None, beta=None, bias=None, size=None):
        square_sum = np.zeros(x.shape).astype(x.dtype)
        c1 = int(math.floor((size - 1) / 2))
        c2 = int(math.ceil((size - 1) / 2)) + 1
        for c in range(x.shape[1]):
            begin, end = max(0, c - c1), min(x.shape[1], c + c2)
            square_sum[:, c, :, :] = np.sum(x[:, begin:end, :, :] ** 2, axis=1)
        y = x / ((bias + (alpha / size) * square_sum) ** beta)
        return (y.astype(x.dtype),)


from onnx.reference.ops.op_scan import Scan as _Scan  # noqa: E402


class Scan(_Scan):
    """ONNX operator Scan. onnx 1.16.2's Scan takes the first `num_scan_inputs` body inputs as
    the names of the loop-state variables instead of the first N - num_scan_inputs (and as many
    body outputs as their new values), so a body of two states and one scan input (an LSTM
    step: h, c and the step's input) is fed its first state only; this replaces those two lines
    of its bookkeeping."""

    op_domain = ""

    def _common_run_shape(self, *args):
        shape = list(super()._common_run_shape(*args))
        states = shape[0]  # num_loop_state_vars
        shape[6] = self.input_names[:states]  # state_names_in
        shape[7] = self.output_names[:states]  # state_names_out
        return tuple(shape)
