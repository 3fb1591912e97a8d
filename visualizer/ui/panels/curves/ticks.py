"""Epoch-axis tick spacing that leaves room between labels however narrow the plot and however short the span.

pyqtgraph picks its tick spacing from the axis' length alone; in a ~140 px plot showing one epoch
("Last epoch", "Around the moment") its labels "1.0 1.2 1.4 1.6" touch. Here the spacing is the
smallest 1-2-5 step whose widest label, plus a gap, fits between two ticks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

GAP_PX = 10  # free pixels between neighbouring labels


def tick_label(value: float, step: float) -> str:
    """A tick's label at ``step`` spacing, with as many decimals as pyqtgraph gives it ('2', '2.5', '0.05')."""
    places = max(0, math.ceil(-math.log10(step) - 1e-9))
    return f"{value:.{places}f}"


def epoch_spacing(low: float, high: float, pixels: float, text_width: Callable[[str], float]) -> tuple[float, float]:
    """(major, minor) tick spacing for the epoch range ``low``..``high`` drawn over ``pixels``.

    ``text_width`` measures a label in pixels (the axis font's ``horizontalAdvance``). The major
    step is the smallest of 1, 2, 5 × 10^k whose labels keep ``GAP_PX`` apart; minor ticks fall
    at a fifth (or half, for a 2 step) of it.
    """
    span = max(high - low, 1e-9)
    pixels = max(pixels, 1.0)
    exponent = math.floor(math.log10(span / 50))
    for _ in range(12):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0 ** exponent
            widest = max(text_width(tick_label(v, step)) for v in (low, high, math.floor(high / step) * step))
            if step / span * pixels >= widest + GAP_PX:
                return step, step / (2 if mantissa == 2 else 5)
        exponent += 1
    return span, span / 5
