"""Helpers every panel shares, one home each: colours and palettes, QImage conversion, probability bars, view options."""
