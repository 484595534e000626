"""Devices: the config's device resolved (or refused, naming the key); the GPU smoke test."""

import pytest
import torch

from attrprior.device import gpu_smoke_test, resolve_device, synchronise


def test_resolve_device():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize(
    ("cuda_version", "available", "count", "name", "message"),
    [
        (None, False, 0, "cuda", "was built without CUDA"),
        ("12.4", False, 0, "cuda", "no CUDA GPU is visible to this process"),
        ("12.4", True, 1, "cuda:1", "only 1 CUDA GPU(s) are visible (indices 0..0)"),
    ],
)
def test_resolve_device_names_the_key_when_cuda_cannot_be_used(
    monkeypatch, cuda_version, available, count, name, message
):
    monkeypatch.setattr(torch.version, "cuda", cuda_version)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    with pytest.raises(RuntimeError, match="config key device") as error:
        resolve_device(name)
    assert message in str(error.value)
    if available:
        assert resolve_device("cuda:0") == torch.device("cuda:0")  # within the GPUs seen


def test_gpu_smoke_test_runs_its_step_and_names_a_missing_gpu():
    report = gpu_smoke_test("cpu", batch_size=4, length=200)
    assert "one Fourier-prior step on cpu" in report and "CUDA_VISIBLE_DEVICES" in report
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA device visible"):
            gpu_smoke_test("cuda")


def test_synchronise_waits_for_cuda_devices_only(monkeypatch):
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", waited.append)
    synchronise("cpu")
    synchronise(torch.device("cpu"))
    assert waited == []
    synchronise("cuda:1")
    assert waited == [torch.device("cuda", 1)]
