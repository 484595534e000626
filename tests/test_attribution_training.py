"""attrprior.attribution: the priors' differentiable input attributions (double backprop),
with BatchNorm's statistics fixed per example."""

import torch

from attrprior.attribution import input_attributions
from attrprior.models import build_model
from attrprior.priors import fourier_prior


def test_input_attributions_are_gradient_times_input_and_differentiable():
    torch.manual_seed(0)
    model = build_model("cnn_shallow").eval()
    x = torch.eye(4)[torch.randint(0, 4, (6, 200))].transpose(1, 2).contiguous()
    attr, logits = input_attributions(model, x)
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(xg).sum(), xg)
    torch.testing.assert_close(attr, grad * x)
    torch.testing.assert_close(logits, model(x))
    assert attr.requires_grad  # the prior can train the weights through it
    fourier_prior(attr, 30).mean().backward()
    assert model.body[0].weight.grad is not None and model.body[0].weight.grad.abs().sum() > 0


def test_corrected_and_gradient_attributions():
    torch.manual_seed(0)
    model = build_model("cnn_shallow").eval()
    x = torch.eye(4)[torch.randint(0, 4, (3, 200))].transpose(1, 2).contiguous()
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(xg).sum(), xg)
    gradient, _ = input_attributions(model, x, kind="gradient")
    torch.testing.assert_close(gradient, grad)
    corrected, _ = input_attributions(model, x, kind="gradient", correct_gradients=True)
    torch.testing.assert_close(corrected, grad - grad.mean(dim=1, keepdim=True))
    corrected_gxi, _ = input_attributions(model, x, correct_gradients=True)
    torch.testing.assert_close(corrected_gxi, (grad - grad.mean(dim=1, keepdim=True)) * x)


def test_per_example_prior_gradient_holds_the_batch_statistics_fixed():
    """``prior_gradient: per_example``: the logits of an ordinary training-mode pass (running
    statistics updated once), and the attributions of a second pass whose batch statistics
    are constants; for the Tseng binary model those are real gradients where the reference's
    batch sum leaves round-off."""
    from attrprior.models import fixed_batch_statistics

    torch.manual_seed(0)
    model = build_model("tseng_binary", length=300, n_tasks=2).train()
    x = torch.eye(4)[torch.randint(0, 4, (16, 300))].transpose(1, 2).contiguous()
    reference = build_model("tseng_binary", length=300, n_tasks=2)
    reference.load_state_dict(model.state_dict())
    reference.train()
    with torch.no_grad():
        expected_logits = reference(x)  # one ordinary pass: its running statistics too
    xg = x.clone().requires_grad_(True)
    with fixed_batch_statistics(reference):
        (grad,) = torch.autograd.grad(reference(xg).sum(), xg)

    attr, logits = input_attributions(model, x, per_example=True)
    torch.testing.assert_close(logits, expected_logits)
    torch.testing.assert_close(attr, grad * x)
    for name, buffer in reference.named_buffers():
        torch.testing.assert_close(dict(model.named_buffers())[name], buffer)
    batch_sum, _ = input_attributions(model, x)
    assert batch_sum.abs().max() < 1e-3 * attr.abs().max()
    # In evaluation mode there are no batch statistics: the two are one gradient.
    model.eval()
    torch.testing.assert_close(
        input_attributions(model, x, per_example=True)[0], input_attributions(model, x)[0]
    )


def test_per_example_prior_gradient_draws_the_dropout_masks_once():
    """The second pass replays the first's dropout masks and leaves the random stream where
    one pass leaves it. With x of ones, a model summing its dropped-out input has logits
    equal to the sum of its input gradient only if both passes drew the same mask."""
    model = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Flatten(), torch.nn.LazyLinear(1))
    model(torch.ones(1, 4, 50))
    torch.nn.init.ones_(model[2].weight)
    torch.nn.init.zeros_(model[2].bias)
    model.train()
    x = torch.ones(8, 4, 50)
    torch.manual_seed(5)
    attr, logits = input_attributions(model, x, kind="gradient", per_example=True)
    after = torch.get_rng_state()
    torch.testing.assert_close(attr.sum(dim=(1, 2)), logits[:, 0])
    torch.manual_seed(5)
    torch.testing.assert_close(model(x), logits)
    assert torch.equal(torch.get_rng_state(), after)
