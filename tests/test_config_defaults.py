"""Config values that default to other keys' (attrprior.config_defaults), on plain dicts."""

from attrprior.config_defaults import (
    PROFILE_FOURIER_FREQ_LIMIT,
    default_highfreq_limit,
    fourier_freq_limits,
)
from attrprior.train import PROFILE_PRIOR_DEFAULTS

MODELS = {
    "binary": {"architecture": "tseng_binary"},
    "profile": {"architecture": "tseng_profile"},
}


def dataset(models, **conditions):
    return {"models": models, "conditions": {"none": {}, **conditions}}


def test_highfreq_limit_defaults_to_the_fourier_priors_limit():
    fourier = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 150}}
    assert default_highfreq_limit(dataset(["binary"], fourier=fourier), MODELS) == 150
    # The same limit in two conditions is one limit; other priors do not count.
    smooth = {"prior": "smoothness", "weight": 1.0}
    two = dataset(["binary"], fourier=fourier, again=fourier, smooth=smooth)
    assert default_highfreq_limit(two, MODELS) == 150


def test_profile_models_take_their_default_limit():
    fourier = {"prior": "fourier", "weight": 1.0}
    assert fourier_freq_limits(dataset(["profile"], fourier=fourier), MODELS) == {200}
    assert PROFILE_PRIOR_DEFAULTS["fourier"]["freq_limit"] == PROFILE_FOURIER_FREQ_LIMIT


def test_no_default_without_a_single_limit():
    assert default_highfreq_limit(dataset(["binary"]), MODELS) is None
    a = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 150}}
    b = {"prior": "fourier", "weight": 1.0, "params": {"freq_limit": 30}}
    both = dataset(["binary"], a=a, b=b)
    assert default_highfreq_limit(both, MODELS) is None
    assert fourier_freq_limits(both, MODELS) == {30, 150}
