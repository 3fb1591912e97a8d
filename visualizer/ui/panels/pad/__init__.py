"""The Draw dock: a drawing pad, the preprocessing steps, probabilities and saliency."""
