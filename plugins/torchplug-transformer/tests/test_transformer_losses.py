"""Chunked cross-entropy against F.cross_entropy: values and gradients."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F
from torchplug_transformer.losses import build_chunked_cross_entropy


def batch(ignore_index=-100, seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(4, 25, 50, generator=generator) * 3
    targets = torch.randint(0, 50, (4, 25), generator=generator)
    targets[torch.rand(4, 25, generator=generator) < 0.2] = ignore_index
    return logits, targets


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 100, 10_000])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_equals_f_cross_entropy_with_the_same_gradient(chunk_size, reduction, label_smoothing):
    logits, targets = batch()
    ours_input = logits.clone().requires_grad_()
    torch_input = logits.clone().requires_grad_()
    loss_fn = build_chunked_cross_entropy(
        chunk_size, label_smoothing=label_smoothing, reduction=reduction
    )
    ours = loss_fn(ours_input, targets)
    expected = F.cross_entropy(
        torch_input.view(-1, 50),
        targets.view(-1),
        label_smoothing=label_smoothing,
        reduction=reduction,
    )
    # A mean (~5 here) within 1e-6; a sum (~600) within 1e-6 of its size, a few float32 ulps.
    tolerance = 1e-6 if reduction == "mean" else 1e-6 * expected.item()
    assert ours.shape == ()
    assert abs(ours.item() - expected.item()) <= tolerance
    ours.backward()
    expected.backward()
    torch.testing.assert_close(ours_input.grad, torch_input.grad, rtol=1e-5, atol=1e-7)


def test_honours_a_custom_ignore_index():
    logits, targets = batch(ignore_index=3)
    ours = build_chunked_cross_entropy(chunk_size=9, ignore_index=3)(logits, targets)
    expected = F.cross_entropy(logits.view(-1, 50), targets.view(-1), ignore_index=3)
    assert abs(ours.item() - expected.item()) <= 1e-6


def test_without_gradients_gives_the_same_value():
    logits, targets = batch()
    loss_fn = build_chunked_cross_entropy(chunk_size=16)
    with torch.no_grad():
        quiet = loss_fn(logits, targets)
    assert abs(quiet.item() - F.cross_entropy(logits.view(-1, 50), targets.view(-1)).item()) <= 1e-6


def test_half_precision_logits_are_reduced_in_float32():
    logits, targets = batch()
    low = logits.to(torch.bfloat16)
    ours = build_chunked_cross_entropy(chunk_size=16)(low, targets)
    expected = F.cross_entropy(low.float().view(-1, 50), targets.view(-1))
    assert ours.dtype == torch.float32
    assert abs(ours.item() - expected.item()) <= 1e-6


def test_gradients_flow_back_through_the_layer_that_made_the_logits():
    torch.manual_seed(0)
    head = torch.nn.Linear(8, 50)
    hidden = torch.randn(4, 25, 8)
    _, targets = batch()
    build_chunked_cross_entropy(chunk_size=13)(head(hidden), targets).backward()
    ours = head.weight.grad.clone()
    head.weight.grad = None
    F.cross_entropy(head(hidden).view(-1, 50), targets.view(-1)).backward()
    torch.testing.assert_close(ours, head.weight.grad, rtol=1e-5, atol=1e-7)


def test_rejects_logits_and_targets_of_different_shapes():
    with pytest.raises(ValueError, match="do not match"):
        build_chunked_cross_entropy()(torch.randn(2, 5, 10), torch.zeros(2, 4, dtype=torch.long))


def test_keeps_no_full_vocabulary_intermediate_for_the_backward_pass():
    logits = torch.randn(64, 1000, dtype=torch.bfloat16, requires_grad=True)
    targets = torch.randint(0, 1000, (64,))
    saved = []

    def pack(tensor):
        saved.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        loss = build_chunked_cross_entropy(chunk_size=8)(logits, targets)
    storage = logits.untyped_storage().data_ptr()
    # Only views of the logits themselves (and the targets): each chunk's float32 copy and
    # log-softmax are recomputed in the backward pass.
    assert [t for t in saved if t.dim() == 2 and t.untyped_storage().data_ptr() != storage] == []
    loss.backward()
    assert logits.grad is not None and logits.grad.shape == logits.shape
