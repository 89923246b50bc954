"""The gpt model: shapes, causality, its parts built from factories, and a few training steps."""

from __future__ import annotations

from functools import partial

import pytest
import torch
import torchplug
from torch import nn
from torchplug_transformer.attention import CausalSelfAttention, build_causal
from torchplug_transformer.losses import build_chunked_cross_entropy
from torchplug_transformer.mlp import SwiGLU, build_swiglu
from torchplug_transformer.model import GPT, build_gpt
from torchplug_transformer.moe import MoE, build_moe
from torchplug_transformer.router import build_sigmoid_topk
from torchplug_transformer.schedulers import build_warmup_cosine

VOCAB = 64


def tiny_gpt(**overrides):
    """A gpt small enough for CPU tests, with hand-made factories standing in for registry.build."""
    hyperparameters = {
        "vocab_size": VOCAB,
        "dim": 32,
        "num_layers": 2,
        "num_heads": 4,
        "num_kv_heads": 2,
        "max_seq_len": 32,
        "norm": nn.LayerNorm,
        "attention": build_causal,
        "mlp": build_swiglu,
    }
    hyperparameters.update(overrides)
    return build_gpt(**hyperparameters)


def moe_factory(dim, hidden_dim):
    return build_moe(dim, hidden_dim, 4, 2, expert=build_swiglu, router=build_sigmoid_topk)


@pytest.fixture
def one_thread():
    """Tiny tensors run fastest on one thread; more threads spin for nothing on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tokens(batch=3, seq_len=16, seed=0):
    return torch.randint(0, VOCAB, (batch, seq_len), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("mlp", [build_swiglu, moe_factory], ids=["swiglu", "moe"])
def test_maps_token_ids_to_logits(mlp):
    assert tiny_gpt(mlp=mlp)(tokens(3, 16)).shape == (3, 16, VOCAB)


def test_calls_each_factory_once_per_module_with_the_runtime_inputs():
    calls = []

    def recording(name, build):
        def factory(*args, **kwargs):
            calls.append((name, args, kwargs))
            return build(*args, **kwargs)

        return factory

    model = tiny_gpt(
        num_layers=3,
        mlp_ratio=2.5,
        norm=recording("norm", nn.LayerNorm),
        attention=recording("attention", build_causal),
        mlp=recording("mlp", build_swiglu),
    )
    assert calls.count(("norm", (32,), {})) == 2 * 3 + 1
    assert calls.count(("attention", (32, 4), {"num_kv_heads": 2})) == 3
    assert calls.count(("mlp", (32, 80), {})) == 3
    assert len(calls) == 7 + 3 + 3
    assert len({id(block.mlp) for block in model.blocks}) == 3


def test_hidden_dim_overrides_mlp_ratio():
    model = tiny_gpt(hidden_dim=48, mlp_ratio=8.0)
    assert all(block.mlp.gate.out_features == 48 for block in model.blocks)


@pytest.mark.parametrize("mlp", [build_swiglu, moe_factory], ids=["swiglu", "moe"])
def test_changing_a_future_token_leaves_earlier_logits_unchanged(mlp):
    torch.manual_seed(0)
    model = tiny_gpt(mlp=mlp)
    x = tokens(2, 20)
    changed = x.clone()
    changed[:, 12:] = (changed[:, 12:] + 1) % VOCAB
    before, after = model(x), model(changed)
    torch.testing.assert_close(before[:, :12], after[:, :12])
    assert not torch.allclose(before[:, 12:], after[:, 12:])


@pytest.mark.parametrize("mlp", [build_swiglu, moe_factory], ids=["swiglu", "moe"])
def test_gradients_reach_every_parameter(mlp):
    torch.manual_seed(0)
    model = tiny_gpt(mlp=mlp, learned_positions=True)
    x = tokens(4, 16)
    nn.functional.cross_entropy(model(x).flatten(0, 1), x.flatten()).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_tied_embeddings_share_one_matrix():
    model = tiny_gpt(tie_embeddings=True)
    assert model.head.weight is model.embed.weight
    untied = sum(p.numel() for p in tiny_gpt().parameters())
    assert sum(p.numel() for p in model.parameters()) == untied - VOCAB * 32


def test_learned_positions_make_a_model_without_rotary_position_aware():
    torch.manual_seed(0)
    model = tiny_gpt(attention=partial(build_causal, rotary=False), learned_positions=True)
    assert model.positions is not None and model.positions.num_embeddings == 32
    same_token = torch.full((1, 8), 5)
    logits = model(same_token)
    assert not torch.allclose(logits[0, 0], logits[0, 7])


def test_rejects_sequences_longer_than_max_seq_len():
    with pytest.raises(ValueError, match="max_seq_len=32"):
        tiny_gpt()(tokens(1, 33))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"dim": 0}, "dim=0 must be at least 1"),
        ({"num_layers": 0}, "num_layers=0 must be at least 1"),
        ({"vocab_size": -1}, "vocab_size=-1 must be at least 1"),
        ({"hidden_dim": 0}, "hidden_dim=0 must be at least 1"),
        ({"mlp_ratio": 0.0}, "mlp_ratio=0.0 must be greater than 0"),
    ],
)
def test_a_zero_or_negative_size_is_refused_when_built(override, message):
    with pytest.raises(ValueError, match=message):
        tiny_gpt(**override)


def test_a_zero_width_model_from_a_config_is_an_error_naming_the_field():
    with pytest.raises(ValueError, match="dim=0 must be at least 1") as raised:
        torchplug.registry.build("model", {"type": "gpt", "vocab_size": VOCAB, "dim": 0})
    assert "model 'gpt' from torchplug-transformer" in "".join(raised.value.__notes__)


@pytest.mark.parametrize("parameter", ["norm", "attention", "mlp"])
def test_a_name_instead_of_a_factory_says_to_use_registry_build(parameter):
    with pytest.raises(
        TypeError,
        match=rf"{parameter}='x' is a config spec of a nested '{parameter}'.*registry\.build",
    ):
        tiny_gpt(**{parameter: "x"})


def test_called_directly_with_its_default_names_raises_type_error():
    with pytest.raises(TypeError, match="norm='rmsnorm'"):
        build_gpt(vocab_size=VOCAB)


@pytest.mark.parametrize("mlp", [build_swiglu, moe_factory], ids=["swiglu", "moe"])
def test_a_few_training_steps_make_the_loss_fall(mlp, one_thread):
    torch.manual_seed(0)
    model = tiny_gpt(mlp=mlp)
    batch = tokens(8, 33, seed=1)
    inputs, targets = batch[:, :-1], batch[:, 1:]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    scheduler = build_warmup_cosine(optimizer, total_steps=50, warmup_steps=5)
    loss_fn = build_chunked_cross_entropy(chunk_size=64)
    losses = []
    for _ in range(50):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(torch.log(torch.tensor(float(VOCAB))).item(), abs=0.3)
    assert losses[-1] < 0.25 * losses[0], losses


def test_builds_from_the_installed_registry_components():
    pytest.importorskip("torchplug_torch")
    registry = torchplug.Registry()
    model = registry.get("model", "gpt")(
        vocab_size=VOCAB,
        dim=32,
        num_layers=2,
        num_heads=4,
        max_seq_len=16,
        norm=partial(registry.get("norm", "rmsnorm"), eps=1e-6),
        attention=registry.get("attention", "causal"),
        mlp=partial(
            registry.get("mlp", "moe"),
            num_experts=2,
            top_k=1,
            expert=registry.get("mlp", "standard_gelu"),
            router=registry.get("router", "softmax_topk"),
        ),
    )
    assert isinstance(model, GPT)
    assert isinstance(model.final_norm, nn.RMSNorm) and model.final_norm.eps == 1e-6
    assert isinstance(model.blocks[0].attention, CausalSelfAttention)
    assert isinstance(model.blocks[0].mlp, MoE)
    assert model(tokens(2, 16)).shape == (2, 16, VOCAB)


def test_builds_from_a_config_through_registry_build():
    pytest.importorskip("torchplug_torch")
    model = torchplug.Registry().build(
        "model",
        {
            "type": "gpt",
            "vocab_size": VOCAB,
            "dim": 32,
            "num_layers": 2,
            "num_heads": 4,
            "num_kv_heads": 2,
            "max_seq_len": 16,
            "norm": {"type": "layernorm", "eps": 1e-6},
            "mlp": {"type": "moe", "num_experts": 2, "top_k": 1, "router": "sigmoid_topk"},
        },
    )
    assert isinstance(model.blocks[0].attention_norm, nn.LayerNorm)
    assert model.blocks[0].attention_norm.eps == 1e-6
    assert isinstance(model.blocks[0].attention, CausalSelfAttention)
    assert isinstance(model.blocks[0].mlp, MoE)
    assert isinstance(model.blocks[0].mlp.experts[0], SwiGLU)
    assert model.blocks[0].mlp.router.score == "sigmoid"
    assert model(tokens(2, 16)).shape == (2, 16, VOCAB)


def test_a_misspelt_key_of_a_nested_component_is_a_config_error():
    spec = {"type": "gpt", "vocab_size": VOCAB, "mlp": {"type": "moe", "num_expert": 2}}
    with pytest.raises(torchplug.ConfigError, match=r"model\.mlp\.num_expert.*'num_experts'"):
        torchplug.Registry().build("model", spec)
