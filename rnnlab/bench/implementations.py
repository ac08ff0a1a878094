"""The implementations the harness times, behind one small interface; adding one is one registered class.

All run the same maths on the same shapes and dtype: NumPy params from ``rnnlab.layers.lstm.init_params`` and
a list of (X, dY) minibatches, time-major X (T, B, D) and dY (T, B, H).
"""
from __future__ import annotations

import importlib

import numpy as np

from ..backend import gpu_available, gpu_status
from .timers import Timer, time_cpu, time_cupy, time_torch_cuda

#: name -> the registered implementation, in the order of registration (the CLI's and ``--list``'s order).
IMPLEMENTATIONS: dict = {}


class Implementation:
    """One way to do the work. ``prepare`` once, off the clock; ``run`` is the work the timer calls.

    name: the CSV's ``implementation``; label: how figures and tables name it; device: "cpu" or "gpu";
    profile_only: measured by the ``cpu`` and ``full`` presets only, to explain another one's time.
    suite: "lstm" (an LSTM layer, the presets of notebook 11) or "scan" (a linear recurrence, the ``scan``
    preset of notebook 12: :mod:`rnnlab.bench.scan_impls`).
    side_by_side: timed side by side (called in turn, ``HostTimer.side_by_side``) with the other such
    implementations measured at the same work and shape: the CPU ones whose times the course divides.
    The class docstring's first line says what it runs (``--help`` shows it).
    """

    name: str = ""
    label: str = ""
    device: str = "cpu"
    profile_only: bool = False
    suite: str = "lstm"
    side_by_side: bool = False

    def why_unavailable(self) -> str | None:
        """None when this machine can run it, else the reason it cannot (shown by ``--list``)."""
        return None

    def prepare(self, params: dict, batches: list, forward_only: bool):
        """Move the inputs where the work runs and build what ``run`` needs; not timed."""
        raise NotImplementedError

    def run(self, prepared) -> None:
        """Do the work once: forward (and backward unless forward-only) over every minibatch."""
        raise NotImplementedError

    @property
    def timer(self) -> Timer:
        return time_cpu


def register(cls):
    """Class decorator: add one instance of ``cls`` to ``IMPLEMENTATIONS`` under its ``name``."""
    impl = cls()
    if not impl.name or impl.device not in ("cpu", "gpu") or impl.name in IMPLEMENTATIONS:
        raise ValueError(f"an implementation needs a new name and device 'cpu' or 'gpu'; got name={impl.name!r}, "
                         f"device={impl.device!r} (registered: {list(IMPLEMENTATIONS)})")
    IMPLEMENTATIONS[impl.name] = impl
    return cls


class RnnlabLayer(Implementation):
    """A module of rnnlab with its contract ``forward(params, X) -> (Y, state, cache)``, ``backward(dY, cache)``."""

    module = ""

    def why_unavailable(self):
        if self.device == "gpu" and not gpu_available():
            return f"no usable CUDA GPU here ({gpu_status()})"
        try:
            importlib.import_module(f"rnnlab.{self.module}")
        except Exception as e:  # report any import failure, do not hide it
            return f"rnnlab.{self.module} could not be imported ({type(e).__name__}: {e})"
        return None

    def prepare(self, params, batches, forward_only):
        layer = importlib.import_module(f"rnnlab.{self.module}")
        if self.device == "gpu":
            import cupy

            params = {k: cupy.asarray(v) for k, v in params.items()}
            batches = [(cupy.asarray(X), cupy.asarray(dY)) for X, dY in batches]
        return layer, params, batches, forward_only

    def run(self, prepared):
        layer, params, batches, forward_only = prepared
        for X, dY in batches:
            _, _, cache = layer.forward(params, X)
            if not forward_only:
                layer.backward(dY, cache)

    @property
    def timer(self):
        return time_cupy if self.device == "gpu" else time_cpu


@register
class Sequential(RnnlabLayer):
    """rnnlab.parallel.lstm_sequential: NumPy, one sample and one time step at a time."""

    name, label, device, module = "sequential", "sequential NumPy", "cpu", "parallel.lstm_sequential"


@register
class BatchedNumpy(RnnlabLayer):
    """rnnlab.layers.lstm: NumPy, batched; one matrix product per step for the whole batch."""

    name, label, device, module = "numpy", "batched NumPy", "cpu", "layers.lstm"
    side_by_side = True


@register
class CupyPort(RnnlabLayer):
    """rnnlab.layers.lstm on CuPy arrays: the same code on the GPU through ``xp``."""

    name, label, device, module = "cupy_port", "CuPy direct port", "gpu", "layers.lstm"


@register
class CupyFused(RnnlabLayer):
    """rnnlab.parallel.lstm_fused: CuPy with one fused elementwise kernel per step."""

    name, label, device, module = "cupy_fused", "CuPy fused", "gpu", "parallel.lstm_fused"


class TorchLSTM(Implementation):
    """torch.nn.LSTM (one layer, time-major) with rnnlab's weights; on the GPU it runs cuDNN with TF32 off."""

    def why_unavailable(self):
        try:
            import torch
        except Exception as e:  # noqa: BLE001 - reported as the reason
            return f"torch could not be imported ({type(e).__name__}: {e})"
        if self.device == "gpu" and not torch.cuda.is_available():
            return "no usable CUDA GPU for torch here (torch.cuda.is_available() is False)"
        return None

    def prepare(self, params, batches, forward_only):
        import torch

        dev = torch.device("cuda" if self.device == "gpu" else "cpu")
        if self.device == "gpu":
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        dtype = {np.dtype("float32"): torch.float32, np.dtype("float64"): torch.float64}[params["W_x"].dtype]
        D, H = params["W_x"].shape[0], params["W_h"].shape[0]
        lstm = torch.nn.LSTM(D, H).to(device=dev, dtype=dtype)
        with torch.no_grad():  # the same weights as the rnnlab implementations
            lstm.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(params["W_x"].T)))
            lstm.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(params["W_h"].T)))
            lstm.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
            lstm.bias_hh_l0.zero_()
        on_device = [(torch.from_numpy(X).to(dev).requires_grad_(not forward_only), torch.from_numpy(dY).to(dev))
                     for X, dY in batches]
        return lstm, on_device, forward_only

    def run(self, prepared):
        lstm, batches, forward_only = prepared
        # Autograd stays on for forward too: like rnnlab's forward, it keeps what backward needs.
        for X, dY in batches:
            Y, _ = lstm(X)
            if not forward_only:
                lstm.zero_grad(set_to_none=True)
                X.grad = None
                Y.backward(dY)

    @property
    def timer(self):
        return time_torch_cuda if self.device == "gpu" else time_cpu


@register
class TorchCpu(TorchLSTM):
    """torch.nn.LSTM on the CPU: the reference."""

    name, label, device = "torch_cpu", "torch.nn.LSTM CPU", "cpu"
    side_by_side = True


@register
class TorchGpu(TorchLSTM):
    """torch.nn.LSTM on CUDA (cuDNN), TF32 off: the reference."""

    name, label, device = "torch_gpu", "torch.nn.LSTM GPU (cuDNN)", "gpu"


@register
class NumpyGemms(Implementation):
    """Profile only: the matrix products of one batched NumPy training step (``rnnlab.layers.lstm``), nothing else.

    Forward: X W_x once for all T steps, then T products h W_h. Backward: T products dA W_h^T, then
    the weight gradients X^T dA, H^T dA and dX = dA W_x^T once each. Its time against ``numpy``'s
    says how much of a step is matrix products and how much is elementwise work and Python.
    """

    name, label, device, profile_only = "numpy_gemms", "NumPy step, matrix products only", "cpu", True
    side_by_side = True

    def prepare(self, params, batches, forward_only):
        W_x, W_h = params["W_x"], params["W_h"]
        H = W_h.shape[0]
        X, _ = batches[0]
        T, B, D = X.shape
        # Constant stand-ins for the states and gate gradients: a product's time does not depend on its values.
        return {"X2": X.reshape(T * B, D), "W_x": W_x, "W_h": W_h, "T": T, "B": B, "forward_only": forward_only,
                "h": np.full((B, H), 0.5, dtype=W_x.dtype), "hs": np.full((T * B, H), 0.5, dtype=W_x.dtype),
                "dA": np.full((T * B, 4 * H), 0.5, dtype=W_x.dtype)}

    def run(self, p):
        X2, W_x, W_h, T, B, dA = p["X2"], p["W_x"], p["W_h"], p["T"], p["B"], p["dA"]
        _ = np.dot(X2, W_x)  # as rnnlab's input projection: @ leaves an inner size of 1 to a slow loop
        for _t in range(T):
            _ = p["h"] @ W_h
        if p["forward_only"]:
            return
        for t in range(T):
            _ = dA[t * B : (t + 1) * B] @ W_h.T
        _ = X2.T @ dA
        _ = p["hs"].T @ dA
        _ = dA @ W_x.T


def default_implementations(suite: str = "lstm") -> tuple:
    """Every registered implementation of ``suite`` that is not profile-only, in registration order."""
    return tuple(name for name, impl in IMPLEMENTATIONS.items() if not impl.profile_only and impl.suite == suite)


def availability(names=None, suite: str | None = None) -> dict:
    """{implementation: None if it can run here, else the reason it cannot}; ``suite`` keeps only "lstm" or "scan"."""
    names = list(IMPLEMENTATIONS) if names is None else list(names)
    if suite is not None:
        names = [n for n in names if n in IMPLEMENTATIONS and IMPLEMENTATIONS[n].suite == suite]
    unknown = [n for n in names if n not in IMPLEMENTATIONS]
    if unknown:
        raise ValueError(f"unknown implementation(s) {unknown}; choose from {list(IMPLEMENTATIONS)}")
    return {n: IMPLEMENTATIONS[n].why_unavailable() for n in names}


from . import scan_impls  # noqa: E402, F401 - registers the scan implementations after the LSTM ones
