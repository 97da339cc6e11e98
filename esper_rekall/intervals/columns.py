"""Columns: the columnar form of a batch of 3D intervals.

Provides :class:`Columns`, the value that kernels, sets and vectorised
predicates pass between them: six aligned numpy bound arrays
(``t1, t2, x1, x2, y1, y2``) and a payload sequence of the same length.

A bound column is ``int64`` when every value put in it was an integer and
``float64`` otherwise, so bounds read back as the Python type the user gave
(``int`` frame numbers stay ``int``). Columns are never mutated in place:
every method returns a new :class:`Columns`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .interval import Interval3D

BOUND_NAMES: tuple[str, ...] = ("t1", "t2", "x1", "x2", "y1", "y2")


@dataclass(frozen=True, eq=False)
class Columns:
    """Aligned bound arrays and payloads of ``n`` intervals.

    Attributes:
        t1, t2, x1, x2, y1, y2: 1-D numpy arrays of length ``n``.
        payload: a sequence (list or object ndarray) of length ``n``.
    """

    t1: npt.NDArray[Any]
    t2: npt.NDArray[Any]
    x1: npt.NDArray[Any]
    x2: npt.NDArray[Any]
    y1: npt.NDArray[Any]
    y2: npt.NDArray[Any]
    payload: Sequence[Any]

    def __len__(self) -> int:
        return len(self.t1)

    def bounds(self) -> tuple[npt.NDArray[Any], ...]:
        """The six bound arrays in ``BOUND_NAMES`` order."""
        return (self.t1, self.t2, self.x1, self.x2, self.y1, self.y2)

    def take(self, index: npt.NDArray[np.intp] | Sequence[int]) -> Columns:
        """Rows at ``index`` (an integer array; repeats allowed), in that order."""
        index = np.asarray(index, dtype=np.intp)
        payload = _object_array(self.payload)[index]
        return Columns(*(b[index] for b in self.bounds()), payload=payload)

    def interval(self, i: int) -> Interval3D:
        """Row ``i`` as an :class:`Interval3D` with plain Python bounds."""
        from .interval import Interval3D

        return Interval3D(
            (self.t1[i].item(), self.t2[i].item()),
            (self.x1[i].item(), self.x2[i].item()),
            (self.y1[i].item(), self.y2[i].item()),
            self.payload[i],
        )

    @classmethod
    def empty(cls) -> Columns:
        """Zero rows."""
        z = np.empty(0, dtype=np.int64)
        return cls(z, z, z, z, z, z, payload=[])


def _object_array(values: Sequence[Any]) -> npt.NDArray[np.object_]:
    """``values`` as a 1-D object array without numpy unpacking nested sequences."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out
