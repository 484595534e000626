"""attrprior.conditions: a training condition from the config, validated; tuned weights resolved."""

import pytest

from attrprior.conditions import Condition

FOURIER = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 30}}


def test_condition_from_config_and_validation():
    condition = Condition.from_config(FOURIER)
    assert condition.prior == "fourier" and condition.prior_weight == 1.0
    assert condition.prior_params == {"freq_limit": 30}
    assert Condition.from_config({}) == Condition()
    assert Condition.from_config({"l2_weight": 0.5}).l2_weight == 0.5
    with pytest.raises(ValueError, match="fourrier"):
        Condition.from_config({"prior": "fourrier", "weight": 1})
    with pytest.raises(ValueError, match="non-negative"):
        Condition(prior="fourier", prior_weight=-1)
    # keep_positives chooses the training examples (attrprior.genomics.sampling), not the loss.
    assert Condition.from_config({**FOURIER, "keep_positives": 0.01}) == condition
    with pytest.raises(ValueError, match=r"unknown keys \['keep_positive'\]"):
        Condition.from_config({"keep_positive": 0.01})


def test_a_tuned_weight_is_resolved_before_training():
    from attrprior.conditions import with_weight
    from attrprior.workflow.checks import tuned_key

    tuned = {"prior": "sparsity", "weight": {"grid": [0.1, 1.0], "tuning_seeds": 2}}
    assert tuned_key(tuned) == "weight"
    assert tuned_key({"l2_weight": {"grid": [0.1, 1.0]}}) == "l2_weight"
    assert tuned_key(FOURIER) is None
    with pytest.raises(ValueError, match="must be resolved first"):
        Condition.from_config(tuned)
    resolved = with_weight(tuned, 0.1)
    assert resolved == {"prior": "sparsity", "weight": 0.1}
    assert Condition.from_config(resolved).prior_weight == 0.1
    with pytest.raises(ValueError, match="only one weight"):
        tuned_key({**tuned, "l2_weight": {"grid": [0.1, 1.0]}})
    with pytest.raises(ValueError, match="no weight is tuned"):
        with_weight(FOURIER, 0.1)


def test_prior_gradient_is_a_condition_key():
    condition = Condition.from_config({**FOURIER, "prior_gradient": "per_example"})
    assert condition.prior_gradient == "per_example"
    assert Condition.from_config(FOURIER).prior_gradient == "batch_sum"
    with pytest.raises(ValueError, match="prior_gradient"):
        Condition.from_config({**FOURIER, "prior_gradient": "per_batch"})
