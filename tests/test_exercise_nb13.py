"""Notebook 13's checker accepts the package's shard weight and rejects the classic wrong ones."""
import pytest

from rnnlab import exercises
from rnnlab.parallel import data_parallel as dp

WRONG = {
    "unweighted 1/W": lambda n_shard, n_batch, world_size: 1 / world_size,
    "error of 1e-4": lambda n_shard, n_batch, world_size: n_shard / n_batch * (1 + 1e-4),
    "mean of the shard sizes": lambda n_shard, n_batch, world_size: n_shard / (n_batch / world_size),
    "NaN for an empty shard": lambda n_shard, n_batch, world_size: (n_shard / n_batch) * (n_shard / n_shard),
    "a string": lambda n_shard, n_batch, world_size: "n_r / n",
}


def test_the_reference_passes(capsys):
    exercises.check_shard_weight(dp.shard_weight)
    assert capsys.readouterr().out == "PASS shard_weight: 8 cases\n"


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_a_wrong_weight_is_rejected(mistake):
    with pytest.raises(exercises.ExerciseError):
        exercises.check_shard_weight(WRONG[mistake])
