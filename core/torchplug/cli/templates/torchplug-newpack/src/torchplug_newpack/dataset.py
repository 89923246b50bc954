"""dataset components of torchplug-newpack."""

from __future__ import annotations


def build_counting(
    num_batches: int = 4, batch_size: int = 8, start: int = 0
) -> list[tuple[list[int], list[int]]]:
    """Toy batches for next-number prediction: each target is its input plus one.

    Replace it with your data; a real dataset yields tensors, or what your loop takes.
    """
    batches = []
    for index in range(num_batches):
        first = start + index * batch_size
        inputs = list(range(first, first + batch_size))
        batches.append((inputs, [x + 1 for x in inputs]))
    return batches
