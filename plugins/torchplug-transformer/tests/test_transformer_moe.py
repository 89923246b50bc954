"""The sparse mixture of experts against a dense loop over every token's picks."""

from __future__ import annotations

from functools import partial

import pytest
import torch
from torchplug_transformer.mlp import build_standard_gelu, build_swiglu
from torchplug_transformer.moe import build_moe
from torchplug_transformer.router import build_sigmoid_topk, build_softmax_topk


def make_moe(num_experts=4, top_k=2, router=build_softmax_topk, expert=build_swiglu):
    return build_moe(16, 32, num_experts, top_k, expert=expert, router=router)


def dense_reference(moe, x):
    """Each token, each of its picks: the expert on that single token, times its weight."""
    tokens = x.reshape(-1, x.shape[-1])
    weights, indices = moe.router(tokens)
    out = torch.zeros_like(tokens)
    for n in range(tokens.shape[0]):
        for slot in range(indices.shape[1]):
            expert = moe.experts[int(indices[n, slot])]
            out[n] += weights[n, slot] * expert(tokens[n].view(1, 1, -1)).view(-1)
    return out.view_as(x)


@pytest.mark.parametrize("router", [build_softmax_topk, build_sigmoid_topk])
@pytest.mark.parametrize(("num_experts", "top_k"), [(4, 1), (4, 2), (6, 3)])
def test_matches_a_dense_loop_over_experts(router, num_experts, top_k):
    torch.manual_seed(0)
    moe = make_moe(num_experts, top_k, router).double()
    x = torch.randn(3, 9, 16, dtype=torch.float64)
    torch.testing.assert_close(moe(x), dense_reference(moe, x), rtol=0, atol=1e-12)


def test_builds_its_own_instance_of_each_expert_and_one_router():
    moe = make_moe(num_experts=5, top_k=2, expert=partial(build_standard_gelu, bias=True))
    assert len(moe.experts) == 5
    assert len({id(e.up.weight) for e in moe.experts}) == 5
    assert moe.router.num_experts == 5 and moe.router.top_k == 2


def test_maps_batch_time_dim_to_the_same_shape():
    assert make_moe()(torch.randn(2, 5, 16)).shape == (2, 5, 16)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    moe = make_moe(num_experts=4, top_k=2)
    moe(torch.randn(4, 16, 16)).square().sum().backward()
    for name, parameter in moe.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_an_expert_no_token_picks_is_skipped():
    torch.manual_seed(0)
    moe = make_moe(num_experts=4, top_k=1)
    with torch.no_grad():  # every token prefers expert 0
        moe.router.gate.weight.fill_(-1.0)
        moe.router.gate.weight[0] = 0.0
    x = torch.ones(2, 3, 16)
    torch.testing.assert_close(moe(x), moe.experts[0](x))


@pytest.mark.parametrize(("parameter", "category"), [("expert", "mlp"), ("router", "router")])
def test_a_name_instead_of_a_factory_says_to_use_registry_build(parameter, category):
    factories = {"expert": build_swiglu, "router": build_softmax_topk, parameter: "swiglu"}
    with pytest.raises(
        TypeError,
        match=rf"{parameter}='swiglu' is a config spec of a nested '{category}'.*registry\.build",
    ):
        build_moe(16, 32, **factories)
