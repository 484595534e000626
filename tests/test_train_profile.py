"""Profile models in the shared training loop: batches, prior target, peaks-only prior,
training, automatic prior weight and test metrics, on a tiny examples directory."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.distance import jensenshannon
from scipy.special import log_softmax
from scipy.stats import multinomial, pearsonr, spearmanr

from attrprior.attribution import attribute, profile_input_attributions
from attrprior.conditions import Condition, TrainSettings
from attrprior.deepshap import deepshap, dinucleotide_references
from attrprior.explained import (
    ProfileAttributionModel,
    explained_model,
    profile_attribution_target,
)
from attrprior.genomics.bigwig import write_bigwig
from attrprior.genomics.genome import GenomeArray, encode_genome
from attrprior.genomics.profile_examples import build_profile_examples
from attrprior.genomics.sampling import ProfileBatches, profile_splits
from attrprior.losses import profile_loss
from attrprior.models import TsengProfileCNN
from attrprior.objectives import (
    ProfileObjective,
    ProfileTensors,
    evaluate_profile_model,
    reverse_complement_profiles,
)
from attrprior.priors import fourier_prior
from attrprior.train import automatic_prior_weight, train_model

LENGTHS = {"chr1": 1500, "chr2": 1500, "chr3": 1200}
INPUT, OUTPUT, JITTER = 64, 40, 4
# 64 -> 64 - (4 + 2*2 + 4*2) = 48 cropped -> 48 - 8 = 40 output positions.
MODEL = dict(length=INPUT, n_filters=6, kernel_sizes=(5, 3, 3), profile_kernel_size=9)
TRAIN_SUMMITS = {"chr1": [150, 400, 650, 900, 1200], "chr2": [200, 450, 700, 950, 1250]}
HELD_OUT = {"valid": [150, 350, 550], "test": [750, 950, 1050]}  # on chr3
FOURIER = {"prior": "fourier", "weight": 1.0}  # freq_limit from the profile default (200)


def bigwig_entries(rng, summits, rate, peak):
    """Per-base Poisson counts: background ``rate`` plus a bump of height ``peak`` at summits."""
    entries = {}
    for chrom, length in LENGTHS.items():
        mean = np.full(length, rate)
        for summit in summits.get(chrom, []):
            mean[summit - 5 : summit + 6] += peak
        values = rng.poisson(mean).astype(float)
        starts = np.flatnonzero(values)
        entries[chrom] = (starts, starts + 1, values[starts])
    return entries


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("profile_data")
    rng = np.random.default_rng(0)
    with open(folder / "toy.fa", "w") as handle:
        for chrom, length in LENGTHS.items():
            handle.write(f">{chrom}\n{''.join(rng.choice(list('ACGT'), size=length))}\n")
    encode_genome(folder / "toy.fa", folder / "toy.npy")
    summits = {**TRAIN_SUMMITS, "chr3": HELD_OUT["valid"] + HELD_OUT["test"]}
    bigwigs = [
        [
            write_bigwig(folder / f"t{t}{s}.bw", LENGTHS, bigwig_entries(rng, summits, 0.3, 4.0))
            for s in "+-"
        ]
        for t in range(2)
    ]
    control = write_bigwig(folder / "ctl.bw", LENGTHS, bigwig_entries(rng, {}, 0.5, 0.0))
    table = pd.DataFrame(
        [(c, s, i % 2, "train") for c, ss in TRAIN_SUMMITS.items() for i, s in enumerate(ss)]
        + [("chr3", s, i % 2, split) for split, ss in HELD_OUT.items() for i, s in enumerate(ss)],
        columns=["chrom", "summit", "task", "split"],
    )
    return build_profile_examples(
        GenomeArray(folder / "toy.npy"),
        table,
        bigwigs,
        folder / "examples",
        input_length=INPUT,
        output_length=OUTPUT,
        max_jitter=JITTER,
        control_bigwigs=[[control], [control]],
        random_windows=12,
        random_seed=1,
    )


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return TsengProfileCNN(**MODEL, n_tasks=2, n_strands=2, control_strands=1)


def training_data(examples):
    return ProfileBatches.for_split(examples, "train", jitter=JITTER, random_fraction=0.5)


def mixed_batch(examples, seed=0):
    """One reverse-complemented training batch: 4 peaks + 4 random windows, doubled."""
    batch = next(training_data(examples).batches(8, np.random.default_rng(seed)))
    return reverse_complement_profiles(ProfileTensors.from_batch(batch, "cpu"))


def test_profile_batches_mix_jittered_peaks_with_random_windows(examples):
    data = training_data(examples)
    assert len(data) == 10 and len(data.randoms) == 12
    batches = list(data.batches(8, np.random.default_rng(5)))
    assert [len(b.indices) for b in batches] == [8, 8, 6]  # 4 + 4, 4 + 4, 2 + 4
    peaks = np.concatenate([b.indices[b.is_peak] for b in batches])
    assert sorted(peaks) == sorted(examples.split_indices("train"))  # each peak once
    for batch in batches:
        assert batch.is_peak.tolist() == [True] * (len(batch.indices) - 4) + [False] * 4
        assert not examples.is_peak[batch.indices[~batch.is_peak]].any()
        assert np.abs(batch.shifts).max() <= JITTER and not batch.shifts[~batch.is_peak].any()
        assert not batch.reverse_complemented.any()
    again = list(data.batches(8, np.random.default_rng(5)))
    for a, b in zip(batches, again, strict=True):
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.one_hot, b.one_hot)
    valid = ProfileBatches.for_split(examples, "valid")
    ordered = list(valid.ordered_batches(2))
    assert [b.indices.tolist() for b in ordered] == [[10, 11], [12]]
    assert all(not b.shifts.any() and b.is_peak.all() for b in ordered)
    with pytest.raises(ValueError, match="random_windows"):
        ProfileBatches(examples, examples.split_indices("train"), (), random_fraction=0.5)
    with pytest.raises(ValueError, match="peaks"):
        ProfileBatches(examples, examples.random_indices())


def test_profile_splits_half_random_jittered_training_centred_held_out(examples):
    splits = profile_splits(examples)
    assert {name: len(batches) for name, batches in splits.items()} == {
        "train": len(examples.split_indices("train")),
        "valid": len(examples.split_indices("valid")),
        "test": len(examples.split_indices("test")),
    }
    assert splits["train"].random_fraction == 0.5 and splits["train"].jitter == JITTER
    assert len(splits["train"].randoms) == examples.n_random
    for name in ("valid", "test"):
        assert splits[name].random_fraction == 0 and len(splits[name].randoms) == 0


def test_reverse_complement_doubles_and_flips_the_batch(examples):
    batch = ProfileTensors.from_batch(examples.sample([0, 20]), "cpu")
    doubled = reverse_complement_profiles(batch)
    assert doubled.x.shape == (4, 4, INPUT) and doubled.is_peak.tolist() == [True, False] * 2
    flipped = examples.sample([0, 20], reverse_complement=np.array([True, True]))
    torch.testing.assert_close(doubled.x[2:], torch.as_tensor(flipped.one_hot))
    torch.testing.assert_close(doubled.profiles[2:], torch.as_tensor(flipped.profiles))
    torch.testing.assert_close(doubled.control[2:], torch.as_tensor(flipped.control))


def test_attribution_target_is_log_probability_weighted_centred_logits():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 2, 2, 11))
    logits = torch.tensor(z, requires_grad=True)
    target = profile_attribution_target(logits)
    expected = ((z - z.mean(-1, keepdims=True)) * log_softmax(z, axis=-1)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(target.detach().numpy(), expected, rtol=1e-12)
    # The weights are constants: the gradient is w - mean(w), not that of the full product.
    (grad,) = torch.autograd.grad(target.sum(), logits)
    w = log_softmax(z, axis=-1)
    np.testing.assert_allclose(grad.numpy(), w - w.mean(-1, keepdims=True), rtol=1e-10)
    fixed = torch.tensor(w)
    assert torch.autograd.gradcheck(lambda a: profile_attribution_target(a, fixed), (logits,))
    torch.testing.assert_close(profile_attribution_target(logits, fixed), target)
    with pytest.raises(ValueError, match="profile_logits"):
        profile_attribution_target(logits[0])


def test_profile_attributions_are_gradient_times_input_and_train_the_body(examples):
    model = tiny_model()
    batch = mixed_batch(examples)
    attr, (logits, log_counts) = profile_input_attributions(model, batch.x, batch.control)
    x = batch.x.clone().requires_grad_(True)
    out, _ = model(x, batch.control)
    (grad,) = torch.autograd.grad(profile_attribution_target(out).sum(), x)
    torch.testing.assert_close(attr, grad * batch.x)
    assert logits.shape == (16, 2, 2, OUTPUT) and log_counts.shape == (16, 2, 2)
    fourier_prior(attr, 200).mean().backward()  # double backpropagation
    assert model.convs[0].weight.grad.abs().sum() > 0


# tangermeme warns about the deltas that the input-dependent log-softmax weights cause
# (expected: see ProfileAttributionModel); the fixed-weight check below bounds the rest.
@pytest.mark.filterwarnings("ignore:Convergence deltas:RuntimeWarning")
def test_profile_models_are_attributed_on_the_prior_target_with_fixed_controls(examples):
    model = tiny_model().eval()
    batch = examples.sample(examples.split_indices("test"))
    x, control = batch.one_hot, batch.control
    wrapped = ProfileAttributionModel(model)
    xt, ct = torch.as_tensor(x), torch.as_tensor(control)
    with torch.no_grad():
        torch.testing.assert_close(
            wrapped(xt, ct)[:, 0], profile_attribution_target(model(xt, ct)[0])
        )
    # Saliency through the wrapper is the gradient the prior sees in training.
    maps = attribute(wrapped, x, None, {"saliency": {}}, args=(control,))
    expected, _ = profile_input_attributions(model, xt, ct, kind="gradient", create_graph=False)
    np.testing.assert_allclose(maps["saliency"], expected.numpy(), rtol=1e-4, atol=1e-6)
    # DeepSHAP: the controls stay with their examples (a different control changes the
    # map), and the same inputs give the same maps.
    references = dinucleotide_references(x, n_shuffles=3, seed=0)
    shap = deepshap(wrapped, x, references, args=(control,))
    assert shap.shape == x.shape and np.isfinite(shap).all()
    np.testing.assert_array_equal(shap, deepshap(wrapped, x, references, args=(control,)))
    shifted = deepshap(wrapped, x, references, args=(control[::-1].copy(),))
    assert not np.allclose(shap, shifted)
    # With weights that do not depend on the input, DeepSHAP sums to f(x) - f(r) exactly:
    # the profile model is DeepLIFT-safe; the wrapper's deltas come only from the
    # log-softmax weights differing between an input and its references (as in the
    # reference implementation).
    _, deltas = deepshap(FixedWeights(model), x, references, args=(control,), return_deltas=True)
    with torch.no_grad():
        scale = FixedWeights(model)(xt, ct).abs().max().item()
    assert deltas.max() < 1e-5 * scale


def test_a_named_task_of_a_profile_model_explains_that_task_alone(examples):
    model = tiny_model().eval()
    batch = examples.sample(examples.split_indices("test"))
    xt, ct = torch.as_tensor(batch.one_hot), torch.as_tensor(batch.control)
    with torch.no_grad():
        logits = model(xt, ct)[0]
        one = explained_model(model, "task1", ["task0", "task1"])(xt, ct)[:, 0]
        both = explained_model(model, "sum", ["task0", "task1"])(xt, ct)[:, 0]
    torch.testing.assert_close(one, profile_attribution_target(logits[:, 1:2]))
    torch.testing.assert_close(both, profile_attribution_target(logits))
    assert not torch.allclose(one, both)
    with pytest.raises(ValueError, match="'task2' is neither 'sum' nor a task"):
        explained_model(model, "task2", ["task0", "task1"])


class FixedWeights(torch.nn.Module):
    """The attribution target with constant random weights instead of log-softmax ones."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.weights = torch.randn(2, 2, OUTPUT, generator=torch.Generator().manual_seed(0))

    def forward(self, x, control):
        logits, _ = self.model(x, control)
        return profile_attribution_target(logits, self.weights.expand_as(logits))[:, None]


def test_the_prior_is_averaged_over_peaks_only(examples):
    model = tiny_model()
    batch = mixed_batch(examples)
    peaks = batch.is_peak
    assert peaks.sum() == 8 and (~peaks).sum() == 8  # reverse complements of peaks count
    objective = ProfileObjective()
    condition = Condition.from_config(FOURIER)
    correctness, prior, l2 = objective.losses(model, batch, condition)
    attr, (logits, log_counts) = profile_input_attributions(model, batch.x, batch.control)
    per_example = fourier_prior(attr, freq_limit=200)
    assert prior.item() == pytest.approx(per_example[peaks].mean().item(), rel=1e-5)
    # The random windows would change it.
    assert abs(per_example.mean().item() - prior.item()) > 1e-4
    everything = Condition.from_config({**FOURIER, "examples": "all"})
    _, prior_all, _ = objective.losses(model, batch, everything)
    assert prior_all.item() == pytest.approx(per_example.mean().item(), rel=1e-5)
    expected = profile_loss(logits, log_counts, batch.profiles, 20.0)
    assert correctness.item() == pytest.approx(expected.item(), rel=1e-6)
    assert l2.item() == 0.0
    no_peaks = batch._replace(is_peak=torch.zeros_like(peaks))
    assert objective.losses(model, no_peaks, condition)[1].item() == 0.0
    assert objective.prior_params(condition) == {"freq_limit": 200}
    assert (
        objective.prior_params(Condition.from_config({**FOURIER, "params": {"freq_limit": 9}}))[
            "freq_limit"
        ]
        == 9
    )
    assert objective.prior_params(Condition(prior="smoothness", prior_weight=1.0)) == {}


def fit(examples, condition, seed, epochs=2):
    model = tiny_model(seed)
    settings = TrainSettings(
        max_epochs=epochs, batch_size=8, patience=epochs, lr_factor=1.0, reverse_complement=True
    )
    state, history = train_model(
        model,
        training_data(examples),
        ProfileBatches.for_split(examples, "valid"),
        Condition.from_config(condition),
        settings,
        seed,
        objective=ProfileObjective(),
    )
    return model, state, history


def test_training_with_and_without_the_fourier_prior(examples):
    _, state, history = fit(examples, FOURIER, seed=0)
    assert list(history.columns) == [
        "epoch",
        "train_correctness",
        "train_prior",
        "train_l2",
        "valid_correctness",
        "valid_prior",
        "valid_nll",
        "valid_count_mse",
        "valid_jsd",
        "learning_rate",
        "seconds",
        "best",
    ]
    assert len(history) == 2
    values = history.drop(columns=["best"]).to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert (history["train_prior"] > 0).all() and (history["valid_prior"] > 0).all()
    assert ((history["valid_jsd"] > 0) & (history["valid_jsd"] < np.log(2))).all()
    _, state_again, history_again = fit(examples, FOURIER, seed=0)
    assert all(torch.equal(state[k], state_again[k]) for k in state)
    columns = [c for c in history.columns if c != "seconds"]
    assert history[columns].equals(history_again[columns])
    _, plain_state, plain = fit(examples, {}, seed=0)
    assert (plain["train_prior"] == 0).all() and np.isfinite(plain["valid_correctness"]).all()
    assert not all(torch.equal(state[k], plain_state[k]) for k in state)
    best = int(plain.loc[plain["valid_correctness"].idxmin(), "epoch"])
    assert plain.loc[plain["best"], "epoch"].max() == best


def test_automatic_prior_weight_for_profile_models(examples):
    model = tiny_model().eval()
    valid = ProfileBatches.for_split(examples, "valid")
    condition = Condition.from_config({**FOURIER, "weight": 50.0})
    weight = automatic_prior_weight(
        model, valid, condition, batch_size=2, objective=ProfileObjective()
    )
    # Independently, in one batch: correctness of all validation peaks, prior over them.
    batch = ProfileTensors.from_batch(examples.sample(examples.split_indices("valid")), "cpu")
    attr, (logits, log_counts) = profile_input_attributions(model, batch.x, batch.control)
    correctness = profile_loss(logits, log_counts, batch.profiles)
    prior = fourier_prior(attr, 200).mean()
    assert weight == pytest.approx(0.5 * correctness.item() / prior.item(), rel=1e-4)


def test_test_metrics_match_an_independent_computation(examples):
    model = tiny_model(seed=1).eval()
    test = ProfileBatches.for_split(examples, "test")
    metrics = evaluate_profile_model(model, test, batch_size=2)
    assert metrics["n_examples"] == 3
    batch = examples.sample(examples.split_indices("test"))
    with torch.no_grad():
        logits, log_counts = model(torch.as_tensor(batch.one_hot), torch.as_tensor(batch.control))
    z, c = logits.double().numpy(), log_counts.double().numpy()
    counts = batch.profiles.astype(float)
    log_p = log_softmax(z, axis=-1)
    nll = [
        -multinomial.logpmf(counts[i], counts[i].sum(), np.exp(log_p[i]))
        for i in np.ndindex(*counts.shape[:3])
    ]
    assert metrics["nll"] == pytest.approx(np.mean(nll), rel=1e-6)
    smooth = [gaussian_filter1d(a, 3, axis=-1, truncate=1.0) for a in (counts, np.exp(log_p))]
    jsd = (jensenshannon(*smooth, axis=-1) ** 2).mean(axis=-1)  # strands averaged
    assert metrics["jsd"] == pytest.approx(np.nanmean(jsd), rel=1e-6)
    true = np.log1p(counts.sum(axis=-1))
    assert metrics["count_mse"] == pytest.approx(np.mean((true - c) ** 2), rel=1e-6)
    pearson = [pearsonr(true[:, t].ravel(), c[:, t].ravel())[0] for t in range(2)]
    spearman = [spearmanr(true[:, t].ravel(), c[:, t].ravel())[0] for t in range(2)]
    assert metrics["count_pearson"] == pytest.approx(np.mean(pearson), rel=1e-6)
    assert metrics["count_spearman"] == pytest.approx(np.mean(spearman), rel=1e-6)
