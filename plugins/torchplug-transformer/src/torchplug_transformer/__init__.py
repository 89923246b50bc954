"""torchplug-transformer: the parts of a small decoder-only language model as torchplug components.

Nothing is imported here, not even torch: torchplug finds the components through this
distribution's entry points and imports a module on the first ``registry.get`` of one of its names.

- `mlp`: ``swiglu``, ``standard_gelu``, ``standard_relu`` (category ``mlp``)
- `moe`: ``moe``, a sparse mixture of expert MLPs (category ``mlp``)
- `router`: ``softmax_topk``, ``sigmoid_topk`` (category ``router``)
- `attention`: ``causal``, multi-head self-attention with grouped-query heads and rotary positions
- `model`: ``gpt``, whose norm, attention and mlp are nested components built from the registry
- `schedulers`: ``warmup_cosine``, ``wsd`` (category ``scheduler``)
- `losses`: ``chunked_cross_entropy`` (category ``loss``)
"""
