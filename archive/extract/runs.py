"""Figures run together in text dumps of tables (`801000081` for 80 1 0 0 0 0 81), split only where
the row's own arithmetic admits exactly one split.

    split_run(tokens, n, valid) -> (figures or None, why)

Each token (a cell's digits) is cut into one or more figures; all figures together must be n, none
with a leading zero (`05`), and `valid(figures)` (the row's identity: applicants sum to the total)
must hold. The search is bounded (digits and visited states); with no split or more than one, the
answer is None and the reason says which.
"""
from __future__ import annotations

from typing import Callable

MAX_DIGITS = 40
MAX_STATES = 20000


def split_run(tokens: list[str], n: int, valid: Callable[[list[int]], bool]
              ) -> tuple[list[int] | None, str]:
    if not tokens or not all(t.isdigit() for t in tokens):
        return None, "not digits"
    if sum(map(len, tokens)) > MAX_DIGITS or sum(map(len, tokens)) < n or len(tokens) > n:
        return None, "too many or too few digits"
    found: list[list[int]] = []
    states = 0

    def walk(ti: int, pos: int, acc: list[int]) -> bool:
        """False once the search must stop (a second split found, or the bound reached)."""
        nonlocal states
        states += 1
        if states > MAX_STATES:
            return False
        if ti == len(tokens):
            if len(acc) == n and valid(acc):
                found.append(list(acc))
                if len(found) > 1:
                    return False
            return True
        tok = tokens[ti]
        rest = sum(len(t) for t in tokens[ti + 1:])
        tokens_left = len(tokens) - ti - 1
        for end in range(pos + 1, len(tok) + 1):
            piece = tok[pos:end]
            if len(piece) > 1 and piece[0] == "0":
                break
            need = n - len(acc) - 1              # figures still to cut after this one
            digits_left = len(tok) - end + rest
            if need < tokens_left + (end < len(tok)) or digits_left < need:
                continue
            acc.append(int(piece))
            ok = walk(ti + 1, 0, acc) if end == len(tok) else walk(ti, end, acc)
            acc.pop()
            if not ok:
                return False
        return True

    complete = walk(0, 0, [])
    if states > MAX_STATES:
        return None, "search bound reached"
    if len(found) == 1 and complete:
        return found[0], "unique"
    return None, "no split fits the row's arithmetic" if not found else "several splits fit"
