"""Top-k routers against a sort-based reference."""

from __future__ import annotations

import pytest
import torch
from torchplug_transformer.router import build_sigmoid_topk, build_softmax_topk

SCORES = {"softmax_topk": lambda logits: logits.softmax(-1), "sigmoid_topk": torch.sigmoid}
BUILDERS = {"softmax_topk": build_softmax_topk, "sigmoid_topk": build_sigmoid_topk}


def reference(router, x, score, top_k, normalize):
    """Score every expert, sort descending, keep the first `top_k`."""
    scores = score(x @ router.gate.weight.T)
    ordered, order = scores.sort(dim=-1, descending=True)
    weights, indices = ordered[..., :top_k], order[..., :top_k]
    if normalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights, indices


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("top_k", [1, 2, 3])
def test_matches_sort_based_reference(name, normalize, top_k):
    torch.manual_seed(0)
    router = BUILDERS[name](16, 6, top_k, normalize=normalize).double()
    x = torch.randn(3, 7, 16, dtype=torch.float64)
    weights, indices = router(x)
    expected_weights, expected_indices = reference(router, x, SCORES[name], top_k, normalize)
    assert weights.shape == indices.shape == (3, 7, top_k)
    assert torch.equal(indices, expected_indices)
    torch.testing.assert_close(weights, expected_weights, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", BUILDERS)
def test_normalized_weights_sum_to_one(name):
    weights, _ = BUILDERS[name](8, 4, 2)(torch.randn(10, 8))
    torch.testing.assert_close(weights.sum(-1), torch.ones(10))


@pytest.mark.parametrize("name", BUILDERS)
def test_gradients_reach_the_gate(name):
    router = BUILDERS[name](8, 4, 2, normalize=False)
    weights, _ = router(torch.randn(10, 8))
    weights.sum().backward()
    assert router.gate.weight.grad is not None and router.gate.weight.grad.abs().sum() > 0


def test_weights_keep_the_input_dtype():
    router = build_softmax_topk(8, 4, 2).to(torch.bfloat16)
    weights, indices = router(torch.randn(5, 8, dtype=torch.bfloat16))
    assert weights.dtype == torch.bfloat16 and indices.dtype == torch.int64


@pytest.mark.parametrize("top_k", [0, 5])
def test_rejects_top_k_outside_the_experts(top_k):
    with pytest.raises(ValueError, match="top_k"):
        build_softmax_topk(8, 4, top_k)
