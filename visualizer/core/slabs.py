"""RowStore: fixed-size float32 rows in slabs that are allocated once and reused (the timeline's weights).

Why slabs: a recording writes tens of megabytes a second. Fresh memory costs a page fault per
4 KB the first time it is written -- on a virtual machine that is as much as the copy itself --
and returning it to the system after every thinning costs it again. Slabs are touched once
(:meth:`RowStore.reserve` can do that before training starts), then rows freed by thinning are
written again, so the memory stays what the budget allows and the training thread only copies.

A slot's memory is reused as soon as it is released, so readers take copies; an export that needs
many rows at once :meth:`pin` s the store instead (released slots are held back until unpinned).
Not thread-safe on its own: the timeline calls it with its lock held.
"""

from __future__ import annotations

import heapq

import numpy as np

class RowParts:
    """Flat rows given as column blocks side by side: row ``i`` is the concatenation of each part's row ``i``.

    What the trainer's capture buffers hold (one buffer per kernel and bias, so the graph writes
    each variable once instead of concatenating them first); the store copies each part into its
    columns, so the rows are never assembled anywhere else. ``parts``: 2-D arrays with the same
    number of rows. Indexing with an int gives one flat row (a copy); with a slice, a boolean
    mask or an index array, the parts' rows in another RowParts.
    """

    def __init__(self, parts):
        self.parts = [np.asarray(p) for p in parts]
        if not self.parts or any(p.ndim != 2 or len(p) != len(self.parts[0]) for p in self.parts):
            raise ValueError("row parts must be 2-D arrays with the same number of rows")

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.parts[0]), sum(p.shape[1] for p in self.parts)

    def __len__(self) -> int:
        return len(self.parts[0])

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            return np.concatenate([p[index] for p in self.parts])
        return RowParts([p[index] for p in self.parts])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def copy_to(self, out: np.ndarray) -> None:
        """Copy the rows into ``out`` (``len(self)`` rows of ``self.shape[1]`` values), part by part."""
        at = 0
        for p in self.parts:
            out[:, at : at + p.shape[1]] = p
            at += p.shape[1]


def _assign(out: np.ndarray, rows) -> None:
    """``out[...] = rows`` for an array or a :class:`RowParts`."""
    if isinstance(rows, RowParts):
        rows.copy_to(out)
    else:
        out[...] = rows


# Below numpy's 4 MB threshold for asking the kernel for huge pages: faulting in a fresh huge page
# can stall for memory compaction (measured up to 10x slower on a busy virtual machine).
SLAB_BYTES = 2 << 20
_PAGE_VALUES = 1024  # float32 values per 4 KB page: one write each faults the whole slab in


class RowStore:
    """Rows of ``row_size`` float32 values, addressed by slot ``(slab, row)``."""

    def __init__(self, row_size: int, *, slab_bytes: int = SLAB_BYTES):
        self.row_size = int(row_size)
        self._slab_rows = max(1, int(slab_bytes) // (4 * self.row_size))
        self._slabs: list[np.ndarray] = []
        self._free: list[tuple[int, int]] = []  # a heap: the lowest slots are used first
        self._held: list[tuple[int, int]] = []  # released while pinned
        self._pins = 0
        self.used = 0

    @property
    def slab_rows(self) -> int:
        """Rows a full slab holds."""
        return self._slab_rows

    @property
    def capacity(self) -> int:
        """Rows the slabs allocated so far hold."""
        return sum(len(s) for s in self._slabs)

    @property
    def reserved_nbytes(self) -> int:
        """Bytes of the slabs allocated (what the store takes from the machine)."""
        return sum(s.nbytes for s in self._slabs)

    @property
    def nbytes(self) -> int:
        """Bytes of the rows in use."""
        return self.used * self.row_size * 4

    def reserve(self, rows: int) -> None:
        """Allocate and touch slabs until ``rows`` rows fit (rows beyond a slab's worth round up)."""
        while self.capacity < rows:
            self._grow(rows - self.capacity)

    def put(self, values: np.ndarray, limit: int) -> tuple[int, int]:
        """Copy ``values`` into a free slot and return it; a new slab is allocated when none is free.

        ``limit``: the most rows the store should hold; a new slab is sized not to pass it (but
        holds at least one row, so a protected moment always finds room).
        """
        if not self._free:
            self._grow(max(limit - self.capacity, 1))
        slot = heapq.heappop(self._free)
        self._slabs[slot[0]][slot[1]] = values
        self.used += 1
        return slot

    def put_many(self, rows: np.ndarray | RowParts, limit: int) -> list[tuple[int, int]]:
        """:meth:`put` for every row of a (rows, values) array or :class:`RowParts`.

        Runs of neighbouring slots are copied at once.
        """
        while len(self._free) < len(rows):
            self._grow(max(limit - self.capacity, len(rows) - len(self._free)))
        slots = [heapq.heappop(self._free) for _ in range(len(rows))]
        start = 0
        for i in range(1, len(slots) + 1):
            if i == len(slots) or slots[i] != (slots[i - 1][0], slots[i - 1][1] + 1):
                slab, first = slots[start]
                _assign(self._slabs[slab][first : first + i - start], rows[start:i])
                start = i
        self.used += len(rows)
        return slots

    def release(self, slot: tuple[int, int]) -> None:
        self.used -= 1
        if self._pins:
            self._held.append(slot)
        else:
            heapq.heappush(self._free, slot)

    def view(self, slot: tuple[int, int]) -> np.ndarray:
        """The slot's row, read-only; valid until the slot is released (copy it, or pin the store)."""
        row = self._slabs[slot[0]][slot[1]]
        row.flags.writeable = False
        return row

    def pin(self) -> None:
        """Hold released slots back (views stay valid) until as many :meth:`unpin` calls."""
        self._pins += 1

    def unpin(self) -> None:
        self._pins -= 1
        if not self._pins:
            for slot in self._held:
                heapq.heappush(self._free, slot)
            self._held.clear()

    def shrink(self, slots: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
        """Copy the rows in ``slots`` into slabs for ``limit`` rows and free the old ones; return the new slots.

        For a smaller budget (rare), so a plain copy of every row. Does nothing while pinned (an
        export reads the old memory) or when the slabs already hold no more than ``limit`` rows.
        """
        need = max(int(limit), len(slots))
        if self._pins or self.capacity <= need:
            return slots
        old = self._slabs
        self._slabs, self._free, self.used = [], [], 0
        self.reserve(need)
        return [self.put(old[a][b], need) for a, b in slots]

    def _grow(self, rows: int) -> None:
        rows = max(1, min(self._slab_rows, int(rows)))
        slab = np.empty((rows, self.row_size), dtype=np.float32)
        slab.reshape(-1)[::_PAGE_VALUES] = 0.0  # fault every page in now, not on the hot path
        index = len(self._slabs)
        self._slabs.append(slab)
        for r in range(rows):
            heapq.heappush(self._free, (index, r))
