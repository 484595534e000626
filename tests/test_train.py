"""Training loop: conditions, double-backprop attributions, determinism, best checkpoint."""

import numpy as np
import pandas as pd
import pytest
import torch

from attrprior.attribution import input_attributions
from attrprior.conditions import Condition, TrainSettings
from attrprior.models import build_model
from attrprior.objectives import BinaryObjective, to_device
from attrprior.priors import fourier_prior
from attrprior.sim.billboard import simulate_billboard
from attrprior.train import _host_step_counts, train_model

FOURIER = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 30}}


@pytest.fixture(scope="module")
def splits():
    data = simulate_billboard(n_sequences=300, seed=1)
    return {s: (data.x[data.split == s], data.y[data.split == s]) for s in ("train", "valid")}


def fit(splits, condition, seed, epochs=3):
    torch.manual_seed(seed)
    model = build_model("cnn_shallow", activation="exponential")
    settings = TrainSettings(max_epochs=epochs, batch_size=50, patience=epochs)
    state, history = train_model(
        model, splits["train"], splits["valid"], Condition.from_config(condition), settings, seed
    )
    return model, state, history


def test_same_seed_same_weights_and_history_different_seed_differs(splits):
    _, state_a, history_a = fit(splits, FOURIER, seed=0, epochs=2)
    _, state_b, history_b = fit(splits, FOURIER, seed=0, epochs=2)
    _, state_c, _ = fit(splits, FOURIER, seed=1, epochs=2)
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    columns = ["train_correctness", "train_prior", "valid_correctness", "valid_auroc"]
    assert history_a[columns].equals(history_b[columns])
    assert not all(torch.equal(state_a[k], state_c[k]) for k in state_a)


def test_best_checkpoint_is_a_copy_of_the_lowest_validation_loss_epoch(splits):
    model, state, history = fit(splits, {}, seed=0, epochs=4)
    best_epoch = int(history.loc[history["valid_correctness"].idxmin(), "epoch"])
    assert history.loc[history["best"], "epoch"].max() == best_epoch
    current = model.state_dict()
    for key, value in state.items():
        assert torch.equal(value, current[key])
        assert value.data_ptr() != current[key].data_ptr()  # a real copy, not a view
    assert list(history.columns[:3]) == ["epoch", "train_correctness", "train_prior"]
    assert len(history) == 4


def test_monitoring_validation_auroc_keeps_the_highest_auroc_epoch(splits):
    # Majdandzic et al.: early stopping, best epoch and LR plateau on validation auROC.
    from attrprior.models import build_model as build

    def run(monitor):
        torch.manual_seed(0)
        model = build("cnn_shallow", activation="exponential")
        settings = TrainSettings(
            max_epochs=8, batch_size=50, patience=8, lr_patience=2, monitor=monitor
        )
        state, history = train_model(
            model, splits["train"], splits["valid"], Condition(), settings, 0
        )
        return model, history

    model, history = run("auroc")
    best = int(history.loc[history["valid_auroc"].idxmax(), "epoch"])
    assert history.loc[history["best"], "epoch"].max() == best
    # The kept weights reproduce the best epoch's validation auROC.
    x, y = splits["valid"]
    with torch.no_grad():
        scores = model.eval()(torch.as_tensor(x)).numpy()[:, 0]
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y[:, 0], scores) == pytest.approx(history["valid_auroc"].max())
    # The plateau follows the auROC as Keras does: the rate drops once lr_patience (2)
    # epochs in a row bring no new maximum by 1e-4 (the count restarts after a drop), and
    # never below 1e-7. Computed here by hand from the history.
    lr = history["learning_rate"].to_numpy()
    auroc = history["valid_auroc"].to_numpy()
    expected, best, wait = [1e-3], auroc[0], 0
    for i in range(1, len(lr)):
        if auroc[i] > best + 1e-4:
            best, wait = auroc[i], 0
        else:
            wait += 1
        rate = expected[-1]
        if wait >= 2:
            rate, wait = max(rate * 0.2, 1e-7), 0
        expected.append(rate)
    np.testing.assert_allclose(lr, expected)
    assert lr[-1] < lr[0]  # the plateau was reached in these 8 epochs
    # Monitoring the loss (the old and Tseng et al.'s rule) picks by the loss instead.
    _, by_loss = run("correctness")
    best_loss = int(by_loss.loc[by_loss["valid_correctness"].idxmin(), "epoch"])
    assert by_loss.loc[by_loss["best"], "epoch"].max() == best_loss
    with pytest.raises(ValueError, match="monitor must be one of"):
        TrainSettings(monitor="val_auroc")


def test_early_stopping_stops_after_patience(splits):
    torch.manual_seed(0)
    model = build_model("cnn_shallow")
    # A huge min_delta means no epoch after the first counts as an improvement.
    settings = TrainSettings(max_epochs=10, batch_size=50, patience=2, min_delta=1e9)
    _, history = train_model(model, splits["train"], splits["valid"], Condition(), settings, 0)
    assert len(history) == 3


def test_the_fourier_prior_lowers_the_prior_loss(splits):
    x, y = splits["valid"]
    positives = torch.as_tensor(x[y[:, 0] == 1])

    def valid_prior(model):
        attr, _ = input_attributions(model.eval(), positives)
        return fourier_prior(attr, 30).mean().item()

    with_prior, _, _ = fit(splits, {**FOURIER, "weight": 10.0}, seed=0, epochs=3)
    without, _, _ = fit(splits, {}, seed=0, epochs=3)
    assert valid_prior(with_prior) < valid_prior(without)


def test_training_data_is_not_modified(splits):
    x_before = splits["train"][0].copy()
    fit(splits, FOURIER, seed=0, epochs=1)
    assert np.array_equal(splits["train"][0], x_before)


def test_labels_are_checked_before_a_batch_leaves_the_host(splits):
    """The loss checks CPU labels itself; for any other device the objective checks each
    batch before moving it (here to the meta device, where no value could be read)."""
    x, y = splits["train"]
    bad = y.copy()
    bad[3] = 0.5
    epoch = BinaryObjective().epoch((x, bad), 400, np.random.default_rng(0), "meta", False)
    with pytest.raises(ValueError, match="labels must be 1, 0 or -1"):
        next(epoch)
    xb, yb = next(BinaryObjective().epoch((x, y), 400, np.random.default_rng(0), "meta", True))
    assert xb.device.type == "meta" and yb.shape == (2 * len(y), y.shape[1])


def test_batches_reach_the_device_as_they_left_the_host():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    moved = to_device(x, "cpu")
    assert moved.device.type == "cpu" and np.array_equal(moved.numpy(), x)
    tensor = torch.as_tensor(x)
    assert to_device(tensor, "cpu") is tensor  # already there: no copy
    assert to_device(x, "meta").device.type == "meta"


def test_a_copy_to_a_gpu_is_pinned_and_does_not_block(monkeypatch):
    """Without a GPU here, the CUDA branch of to_device is checked with its two calls
    recorded: pinned memory, then a non-blocking copy."""
    calls = []
    monkeypatch.setattr(torch.Tensor, "pin_memory", lambda self: calls.append("pin") or self)
    original = torch.Tensor.to

    def to(self, *args, **kwargs):
        if args and torch.device(args[0]).type == "cuda":
            calls.append(("to", kwargs.get("non_blocking")))
            return self
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", to)
    to_device(np.zeros((2, 3), np.float32), "cuda")
    assert calls == ["pin", ("to", True)]


def test_tseng_settings_train_with_balanced_loss_and_reverse_complement(splits):
    torch.manual_seed(0)
    model = build_model("cnn_shallow")
    settings = TrainSettings(
        max_epochs=1, batch_size=50, loss="balanced_bce", reverse_complement=True, lr_factor=1.0
    )
    _, history = train_model(model, splits["train"], splits["valid"], Condition(), settings, 0)
    assert history["learning_rate"].iloc[0] == 1e-3
    with pytest.raises(ValueError, match="loss"):
        TrainSettings(loss="hinge")


def test_automatic_prior_weight_is_half_the_reference_correctness(splits):
    from attrprior.train import automatic_prior_weight

    reference, _, _ = fit(splits, {}, seed=0, epochs=1)
    condition = Condition.from_config(FOURIER)
    weight = automatic_prior_weight(reference, splits["valid"], condition, batch_size=1000)
    # Independently: validation BCE (+ the Keras kernel penalty) and the Fourier prior of
    # gradient x input averaged over the validation positives, in one batch.
    x, y = (torch.as_tensor(a) for a in splits["valid"])
    reference.eval()
    with torch.no_grad():
        logits = reference(x)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + reference.kernel_l2()
    attr, _ = input_attributions(reference, x[y[:, 0] == 1])
    prior = fourier_prior(attr, 30).mean()
    assert weight == pytest.approx(0.5 * bce.item() / prior.item(), rel=1e-4)
    with pytest.raises(ValueError, match="auto"):
        Condition.from_config({"prior": "fourier", "weight": "auto"})


def test_a_killed_training_resumes_to_the_same_weights_and_history(splits, tmp_path):
    # cnn_shallow has dropout (torch's random state) and a learning-rate plateau (the
    # scheduler's state); the prior needs its double backward too.
    settings = TrainSettings(max_epochs=5, batch_size=50, patience=5, lr_factor=0.5, lr_patience=1)
    condition = Condition.from_config(FOURIER)

    def run(resume=None, fail_after=None, seed=3, resume_key="run-a"):
        torch.manual_seed(seed)
        model = build_model("cnn_shallow", activation="relu")
        calls = []

        class KilledObjective(BinaryObjective):
            def validate(self, *args, **kwargs):
                if len(calls) == fail_after:
                    raise KeyboardInterrupt  # the job dies during epoch fail_after + 1
                calls.append(1)
                return super().validate(*args, **kwargs)

        objective = KilledObjective(settings.loss)
        return train_model(
            model,
            splits["train"],
            splits["valid"],
            condition,
            settings,
            seed=seed,
            objective=objective,
            resume=resume,
            resume_key=resume_key,
        )

    whole_state, whole_history = run()
    path = tmp_path / "resume.pt"
    with pytest.raises(KeyboardInterrupt):
        run(resume=path, fail_after=2)
    assert torch.load(path, weights_only=False)["epoch"] == 2
    state, history = run(resume=path)
    for name, tensor in whole_state.items():
        assert torch.equal(tensor, state[name]), name
    columns = [c for c in whole_history.columns if c != "seconds"]
    pd.testing.assert_frame_equal(history[columns], whole_history[columns])
    assert len(history) == 5
    # A state written for another run (here seed 4, key run-b) is ignored: the seed-3 run
    # starts afresh instead of continuing seed 4's training.
    other = tmp_path / "other.pt"
    with pytest.raises(KeyboardInterrupt):
        run(resume=other, fail_after=2, seed=4, resume_key="run-b")
    _, fresh = run(resume=other)
    pd.testing.assert_frame_equal(fresh[columns], whole_history[columns])


def test_a_resumed_optimisers_step_counts_are_read_on_the_host():
    """The training state is loaded onto the training device; Adam's step counts go back
    to the host, where a fresh optimiser keeps them (on a GPU a count left on the device is
    read back at every step). Only the counts move; other entries are passed as they are."""

    class OnDevice:
        def cpu(self):
            return "on the host"

    average = torch.ones(3)
    saved = {"state": {0: {"step": OnDevice(), "exp_avg": average}}, "param_groups": [{}]}
    moved = _host_step_counts(saved)
    assert moved["state"][0] == {"step": "on the host", "exp_avg": average}
    assert moved["state"][0]["exp_avg"] is average
    assert isinstance(saved["state"][0]["step"], OnDevice)  # the saved state is left alone
    assert moved["param_groups"] is saved["param_groups"]
