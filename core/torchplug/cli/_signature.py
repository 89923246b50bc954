"""Laying out a signature for `torchplug show`: on one line when it fits, else a parameter a line.

A signature reaches this module as text, ``"(params, lr: float = 0.001, *, foreach=None) -> None"``
(read from source, or printed by `inspect` after ``--import``), so the parameters are split at the
commas outside brackets and quotes; defaults such as ``(0.9, 0.999)`` stay whole.
"""

from __future__ import annotations

_OPENING = {"(": ")", "[": "]", "{": "}"}


def split_parameters(signature: str) -> tuple[list[str], str] | None:
    """``(parameters, what follows the closing parenthesis)``; None for text that is no signature.

    >>> split_parameters("(a, b: tuple[int, int] = (1, 2), *, c='x,y') -> None")
    (['a', 'b: tuple[int, int] = (1, 2)', '*', "c='x,y'"], ' -> None')
    """
    if not signature.startswith("("):
        return None
    closing: list[str] = []
    quote: str | None = None
    parameters: list[str] = []
    start = 1
    index = 0
    while index < len(signature):
        char = signature[index]
        if quote is not None:
            if char == "\\":
                index += 1  # the escaped character cannot end the string
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in _OPENING:
            closing.append(_OPENING[char])
        elif closing and char == closing[-1]:
            closing.pop()
            if not closing:  # the signature's own closing parenthesis
                last = signature[start:index].strip()
                if last:
                    parameters.append(last)
                return parameters, signature[index + 1 :]
        elif char == "," and len(closing) == 1:
            parameters.append(signature[start:index].strip())
            start = index + 1
        index += 1
    return None


def format_definition(head: str, signature: str, width: int) -> str:
    """``head`` (``def name`` or ``class Name``) and its signature, wrapped to `width` as black would.

    A signature that does not fit on one line is printed one parameter a line, each indented by
    four spaces and followed by a comma, with the closing parenthesis and return annotation last.
    """
    line = f"{head}{signature}"
    split = split_parameters(signature)
    if len(line) <= width or split is None or not split[0]:
        return line
    parameters, tail = split
    return "\n".join([f"{head}(", *(f"    {p}," for p in parameters), f"){tail}"])
