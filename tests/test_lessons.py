"""Each lesson a training run teaches is asserted in a checked cell, and that assertion can fail.

A training run's digits are not compared by nbval (they depend on the CPU's floating-point kernels), so the
cell after it asserts the lesson with a stated tolerance (tests/nbval_ignored.toml names it `checked_by`).
Here each notebook with such cells is executed once more with its training broken (the optimiser takes no
step, for one or two epochs): every lesson cell must then fail with an AssertionError. An assertion
that also held for an untrained model would not teach anything.
"""

import tomllib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = tomllib.loads((ROOT / "tests" / "nbval_ignored.toml").read_text(encoding="utf-8"))

# Inserted after the setup cell (notebooks 05 and 07-09): fit() with an optimiser that never changes the
# parameters, for at most 2 epochs.
UNTRAINED_RNNLAB = '''
import rnnlab.training.train

_real_fit = rnnlab.training.train.fit


class _NoStep:
    def step(self, params, grads):
        pass


def _untrained_fit(*args, **kwargs):
    kwargs.update(optimizer=_NoStep(), momentum=0.0, epochs=min(kwargs.get("epochs", 100), 2))
    return _real_fit(*args, **kwargs)


rnnlab.training.train.fit = _untrained_fit
'''

# Notebook 05 trains with d2l's Trainer and torch's optimisers: no optimiser step, one epoch.
UNTRAINED_TORCH = '''
import torch
from d2l import torch as _d2l

for _optimizer in (torch.optim.SGD, torch.optim.Adam, _d2l.SGD):
    _optimizer.step = lambda self, *args, **kwargs: None

_real_trainer_fit = _d2l.Trainer.fit


def _one_epoch_fit(self, model, data):
    self.max_epochs = 1
    return _real_trainer_fit(self, model, data)


_d2l.Trainer.fit = _one_epoch_fit
'''

# Notebook 13 launches torchrun jobs: every job makes a classic mistake (1/W for unequal shards).
WRONG_DATA_PARALLEL = '''
import rnnlab.parallel.distributed as _distributed

_real_launch = _distributed.launch


def _wrong_launch(world_size, *args, **kwargs):
    return _real_launch(world_size, *args, "--mistake", "unweighted", **kwargs)


_distributed.launch = _wrong_launch
'''

BREAKS = {
    "05_lstm_d2l_pytorch": UNTRAINED_TORCH + UNTRAINED_RNNLAB,  # d2l's models and the NumPy character LSTM
    "07_numpy_lstm_sequential": UNTRAINED_RNNLAB,
    "08_batching_and_optimizers": UNTRAINED_RNNLAB,
    "09_weather_rnn_lstm_gru": UNTRAINED_RNNLAB,
    "13_data_parallel": WRONG_DATA_PARALLEL,
}


def lessons(stem: str) -> list[str]:
    return [e["checked_by"] for e in REGISTRY.get(stem, {}).values() if e["kind"] == "training"]


WITH_LESSONS = sorted(stem for stem in REGISTRY if lessons(stem))


def test_every_notebook_with_lessons_has_a_way_to_break_its_training():
    assert set(WITH_LESSONS) <= set(BREAKS), set(WITH_LESSONS) - set(BREAKS)


@pytest.mark.slow
@pytest.mark.parametrize("stem", WITH_LESSONS)
def test_lessons_fail_when_training_is_broken(stem, tmp_path, monkeypatch):
    path = ROOT / "notebooks" / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell(BREAKS[stem]))
    monkeypatch.setenv("COURSE_FIGURES", str(tmp_path))
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    cells = {c.id: c for c in nb.cells}
    for cell_id in sorted(set(lessons(stem))):
        errors = [o for o in cells[cell_id].outputs if o.output_type == "error"]
        assert cells[cell_id].execution_count is not None, f"{stem}/{cell_id} did not run"
        assert [e.ename for e in errors] == ["AssertionError"], (
            f"{stem}/{cell_id}: its lesson still held with training broken "
            f"({[(e.ename, e.evalue) for e in errors] or 'no error'})")
