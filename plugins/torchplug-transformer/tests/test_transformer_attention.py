"""Causal self-attention against a naive masked softmax, with grouped-query heads and rotary positions."""

from __future__ import annotations

import math

import pytest
import torch
from torchplug_transformer.attention import CausalSelfAttention, build_causal


def naive_attention(
    module: CausalSelfAttention, x: torch.Tensor, theta: float | None
) -> torch.Tensor:
    """One head at a time: explicit projections, rotary by complex multiplication, masked softmax."""
    batch, seq_len, _ = x.shape
    heads, kv_heads, head_dim = module.num_heads, module.num_kv_heads, module.head_dim

    def project(layer, n):
        return (x @ layer.weight.T).view(batch, seq_len, n, head_dim).transpose(1, 2)

    q, k, v = (
        project(module.q_proj, heads),
        project(module.k_proj, kv_heads),
        project(module.v_proj, kv_heads),
    )
    if theta is not None:
        half = head_dim // 2
        freqs = theta ** (-2 * torch.arange(half, dtype=torch.float64) / head_dim)
        rotation = torch.polar(
            torch.ones(seq_len, half, dtype=torch.float64),
            torch.outer(torch.arange(seq_len, dtype=torch.float64), freqs),
        )

        def rope(t):
            z = torch.complex(t[..., :half], t[..., half:]) * rotation
            return torch.cat((z.real, z.imag), dim=-1)

        q, k = rope(q), rope(k)
    future = torch.ones(seq_len, seq_len, dtype=torch.bool).triu(1)
    out = torch.empty(batch, heads, seq_len, head_dim, dtype=x.dtype)
    for h in range(heads):
        kv = h // (heads // kv_heads)
        scores = q[:, h] @ k[:, kv].transpose(-1, -2) / math.sqrt(head_dim)
        out[:, h] = scores.masked_fill(future, -math.inf).softmax(dim=-1) @ v[:, kv]
    return out.transpose(1, 2).reshape(batch, seq_len, -1) @ module.o_proj.weight.T


@pytest.mark.parametrize("num_kv_heads", [None, 4, 2, 1])
def test_maps_batch_time_dim_to_the_same_shape(num_kv_heads):
    attention = build_causal(32, 4, num_kv_heads)
    assert attention(torch.randn(2, 9, 32)).shape == (2, 9, 32)


@pytest.mark.parametrize("num_kv_heads", [4, 2, 1])
def test_matches_naive_masked_softmax_without_rotary(num_kv_heads):
    torch.manual_seed(0)
    attention = build_causal(32, 4, num_kv_heads, rotary=False).double()
    x = torch.randn(2, 11, 32, dtype=torch.float64)
    torch.testing.assert_close(
        attention(x), naive_attention(attention, x, None), rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("num_kv_heads", [4, 2])
def test_rotary_matches_complex_rotation_reference(num_kv_heads):
    torch.manual_seed(0)
    attention = build_causal(32, 4, num_kv_heads, rope_theta=500.0).double()
    x = torch.randn(2, 13, 32, dtype=torch.float64)
    # The rotation tables are float32: angles carry ~1e-7 relative error.
    torch.testing.assert_close(
        attention(x), naive_attention(attention, x, 500.0), rtol=0, atol=1e-5
    )


def test_grouped_query_equals_multi_head_with_repeated_key_value_weights():
    torch.manual_seed(0)
    gqa = build_causal(32, 8, 2)
    mha = build_causal(32, 8, 8)
    with torch.no_grad():
        mha.q_proj.weight.copy_(gqa.q_proj.weight)
        mha.o_proj.weight.copy_(gqa.o_proj.weight)
        for name in ("k_proj", "v_proj"):
            grouped = getattr(gqa, name).weight.view(2, 4, 32)  # (kv heads, head_dim, dim)
            getattr(mha, name).weight.copy_(grouped.repeat_interleave(4, dim=0).reshape(32, 32))
    x = torch.randn(3, 10, 32)
    torch.testing.assert_close(gqa(x), mha(x))


@pytest.mark.parametrize("rotary", [True, False])
def test_changing_a_future_token_leaves_earlier_outputs_unchanged(rotary):
    torch.manual_seed(0)
    attention = build_causal(32, 4, 2, rotary=rotary)
    x = torch.randn(2, 12, 32)
    changed = x.clone()
    changed[:, 7:] = torch.randn(2, 5, 32)
    before, after = attention(x), attention(changed)
    torch.testing.assert_close(before[:, :7], after[:, :7])
    assert not torch.allclose(before[:, 7:], after[:, 7:])


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    attention = build_causal(16, 4, 2, bias=True)
    attention(torch.randn(2, 6, 16)).square().sum().backward()
    for name, parameter in attention.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_rotary_tables_grow_with_the_sequence_and_stay_out_of_the_state_dict():
    attention = build_causal(16, 2)
    attention(torch.randn(1, 4, 16))
    attention(torch.randn(1, 20, 16))
    assert attention.rotary.cos.shape == (20, 8)
    assert set(attention.state_dict()) == {
        f"{p}.weight" for p in ("q_proj", "k_proj", "v_proj", "o_proj")
    }


@pytest.mark.parametrize(
    ("dim", "num_heads", "num_kv_heads", "message"),
    [
        (30, 4, None, "not divisible by num_heads"),
        (32, 4, 3, "not a multiple of num_kv_heads"),
        (20, 4, None, "even head dimension"),
    ],
)
def test_rejects_inconsistent_head_counts(dim, num_heads, num_kv_heads, message):
    with pytest.raises(ValueError, match=message):
        build_causal(dim, num_heads, num_kv_heads)
