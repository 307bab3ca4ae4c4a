"""One block of a symmetric K × K matrix: the one value that planning, the block jobs, the
pairwise engine and the assembly all pass around.

The matrix over ``n`` representations is cut into ``ceil(n / size)`` blocks per side; block
``(i, j)`` holds rows ``i·size … (i+1)·size − 1`` and columns ``j·size … (j+1)·size − 1``.
Because the matrix is symmetric, the blocks with ``i ≤ j`` (:meth:`Block.grid`) hold every pair
``a < b`` at least once. A block is written in a file name as ``"i-j"`` (:attr:`Block.label`,
:meth:`Block.parse`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import product

from repgeom.errors import InvalidInputError


@dataclass(frozen=True)
class Block:
    """Block ``(i, j)`` of an ``n × n`` matrix cut into ``size``-blocks.

    Examples
    --------
    >>> b = Block(0, 1, size=2, n=3)
    >>> list(b.rows), list(b.cols), b.pairs
    ([0, 1], [2], [(0, 2), (1, 2)])
    >>> Block.parse("0-1", size=2, n=3) == b
    True
    >>> Block.whole(3).pairs
    [(0, 1), (0, 2), (1, 2)]
    """

    i: int
    j: int
    size: int
    n: int

    def __post_init__(self) -> None:
        if self.size < 1:
            raise InvalidInputError(f"block size {self.size}: need at least 1 per block")
        per_side = n_blocks(self.n, self.size)
        if not (0 <= self.i < per_side and 0 <= self.j < per_side):
            raise InvalidInputError(
                f"block {self.label} is outside a {self.n}×{self.n} matrix of "
                f"{self.size}-blocks ({per_side} per side)"
            )

    @classmethod
    def whole(cls, n: int) -> Block:
        """The whole matrix as one block."""
        return cls(0, 0, size=max(n, 1), n=n)

    @classmethod
    def grid(cls, n: int, size: int) -> list[Block]:
        """The blocks ``(i, j)``, ``i ≤ j``, that together hold every pair."""
        per_side = n_blocks(n, size)
        return [cls(i, j, size=size, n=n) for i in range(per_side) for j in range(i, per_side)]

    @classmethod
    def parse(cls, label: str, *, size: int, n: int) -> Block:
        """The block named ``"i-j"`` (a file name's form)."""
        try:
            i, j = (int(part) for part in label.split("-"))
        except ValueError:
            raise InvalidInputError(f"block {label!r}: expected 'i-j' with integers") from None
        return cls(i, j, size=size, n=n)

    @property
    def label(self) -> str:
        return f"{self.i}-{self.j}"

    @property
    def rows(self) -> range:
        return range(self.i * self.size, min((self.i + 1) * self.size, self.n))

    @property
    def cols(self) -> range:
        return range(self.j * self.size, min((self.j + 1) * self.size, self.n))

    @cached_property
    def pairs(self) -> list[tuple[int, int]]:
        """Off-diagonal pairs ``(a, b)``, ``a < b``, of the block, each once, sorted."""
        return sorted({(min(a, b), max(a, b)) for a, b in product(self.rows, self.cols) if a != b})

    @property
    def diagonal(self) -> list[int]:
        """Representations whose diagonal entry ``(k, k)`` lies in the block."""
        return sorted(set(self.rows) & set(self.cols))

    @property
    def members(self) -> list[int]:
        """Every representation the block needs (its rows and columns)."""
        return sorted({*self.rows, *self.cols})


def n_blocks(n: int, size: int) -> int:
    """Blocks per side of an ``n × n`` matrix: ``ceil(n / size)``."""
    return -(-n // size)
