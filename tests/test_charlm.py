"""The character language model and its sampler: temperature -> 0 is the argmax, temperature 1 draws the
softmax probabilities, bad temperatures and generators are refused, and the model's gradients are right."""
import math

import numpy as np
import pytest

from rnnlab.layers.functional import softmax
from rnnlab.layers.gradcheck import numerical_gradient, relative_error
from rnnlab.training.charlm import (
    CharLSTM,
    CharVocab,
    char_entropy,
    char_windows,
    clean_text,
    generate,
    one_hot_time_major,
    sample_next,
    softmax_with_temperature,
)
from rnnlab.training.train import fit


def test_temperature_towards_zero_is_the_greedy_argmax():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((500, 28)) * 3
    logits[np.arange(500), logits.argmax(axis=1)] += 0.05  # a top gap of at least 0.05: no near-ties
    for temperature in (1e-3, 1e-6):  # gap / temperature >= 50, so exp(-50) of the mass is off the argmax
        draws = sample_next(logits, temperature, np.random.default_rng(1))
        np.testing.assert_array_equal(draws, logits.argmax(axis=1))
        probs = softmax_with_temperature(logits, temperature)
        np.testing.assert_allclose(probs, np.eye(28)[logits.argmax(axis=1)], atol=1e-12)
    assert sample_next(logits[0], 1e-6, rng) == int(logits[0].argmax())  # one row in, one int out


def test_temperature_one_draws_the_softmax_probabilities():
    logits = np.array([2.0, 1.0, 0.5, -1.0, 0.0])
    n = 200_000
    draws = sample_next(np.tile(logits, (n, 1)), 1.0, np.random.default_rng(2))
    empirical = np.bincount(draws, minlength=logits.size) / n
    # the binomial standard error is at most sqrt(0.25 / n) = 0.0011; 0.005 is more than four of them
    np.testing.assert_allclose(empirical, softmax(logits), atol=5e-3)


def test_temperature_sharpens_or_flattens():
    logits = np.array([3.0, 1.0, 0.0, -2.0])

    def entropy(p):
        return float(-(p * np.log(p)).sum())

    entropies = [entropy(softmax_with_temperature(logits, t)) for t in (0.5, 1.0, 1.5, 100.0)]
    assert entropies == sorted(entropies)
    assert entropies[-1] == pytest.approx(math.log(4), abs=1e-3)  # very hot: nearly uniform
    np.testing.assert_allclose(softmax_with_temperature(logits, 1.0), softmax(logits))
    # no overflow: the maximum is subtracted before exp
    assert np.isfinite(softmax_with_temperature(np.array([1e4, 0.0]), 0.01)).all()


@pytest.mark.parametrize("temperature", [0, 0.0, -1.0, float("nan"), float("inf"), "hot", None, True])
def test_a_bad_temperature_raises(temperature):
    with pytest.raises(ValueError, match="temperature"):
        sample_next(np.zeros(3), temperature, np.random.default_rng(0))


@pytest.mark.parametrize("rng", [0, None, np.random, np.random.RandomState(0)])
def test_the_sampler_needs_a_generator(rng):
    with pytest.raises(ValueError, match="rng"):
        sample_next(np.zeros(3), 1.0, rng)


def test_bad_logits_raise():
    with pytest.raises(ValueError, match="logits"):
        softmax_with_temperature(np.zeros((2, 3, 4)), 1.0)
    with pytest.raises(ValueError, match="logits"):
        softmax_with_temperature(np.array([0.0, np.nan]), 1.0)


def test_vocab_windows_and_one_hot():
    text = clean_text("The Time-Machine, 1895!\nby H. G. Wells")
    assert text == "the time machine by h g wells"
    vocab = CharVocab(text)
    assert vocab.idx_to_char[0] == " " and len(vocab) == len(set(text))
    ids = vocab.encode(text)
    assert vocab.decode(ids) == text
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.encode("xyz!")
    X, Y = char_windows(ids, 4)
    assert X.shape == Y.shape == ((len(ids) - 1) // 4, 4)
    np.testing.assert_array_equal(X.ravel()[1:], Y.ravel()[:-1])  # the target is the next character
    onehot = one_hot_time_major(X, len(vocab))
    assert onehot.shape == (4, X.shape[0], len(vocab))
    np.testing.assert_array_equal(onehot.argmax(axis=2), X.T)
    with pytest.raises(ValueError, match="num_steps"):
        char_windows(ids, 0)


def test_char_entropy():
    assert char_entropy("aaaa") == 0.0
    assert char_entropy("abcd" * 10) == pytest.approx(math.log(4))


def test_charlstm_gradcheck():
    rng = np.random.default_rng(3)
    model = CharLSTM(vocab_size=5, hidden_size=4, seed=1)
    params = model.init_params()
    params["b_y"] += rng.normal(size=5)
    X = one_hot_time_major(rng.integers(0, 5, size=(3, 6)), 5)  # T=6, B=3
    Y = rng.integers(0, 5, size=(3, 6))
    _, grads = model.loss_and_grads(params, X, Y)
    assert grads.keys() == params.keys()
    errors = {k: relative_error(grads[k], numerical_gradient(lambda: model.loss(params, X, Y), params[k]))
              for k in params}
    assert max(errors.values()) < 1e-7, errors
    with pytest.raises(ValueError, match="Y must be"):
        model.loss(params, X, Y.T)
    with pytest.raises(ValueError, match="X must be"):
        model.loss(params, X[:, :, :4], Y)


def test_training_learns_a_repeating_text_and_generation_repeats():
    text = "abcabcabcabc" * 20
    vocab = CharVocab(text)
    X, Y = char_windows(vocab.encode(text), 8)
    model = CharLSTM(len(vocab), 8, seed=0)
    params, hist = fit(model, model.init_params(), one_hot_time_major(X, len(vocab)), Y, strategy="minibatch",
                       batch_size=8, epochs=30, lr=0.05, progress=False)
    assert hist.loss.iloc[-1] < 0.1 * math.log(len(vocab)), hist.loss.tolist()
    assert generate(model, params, vocab, "ab", 7) == "abcabcabc"  # greedy: the pattern
    one = generate(model, params, vocab, "ab", 20, temperature=1.0, rng=np.random.default_rng(5))
    two = generate(model, params, vocab, "ab", 20, temperature=1.0, rng=np.random.default_rng(5))
    assert one == two and len(one) == 22 and one.startswith("ab")
    with pytest.raises(ValueError, match="rng"):
        generate(model, params, vocab, "ab", 5, temperature=1.0)
    with pytest.raises(ValueError, match="prefix"):
        generate(model, params, vocab, "", 5)
