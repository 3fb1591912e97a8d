"""The weight maps: first-layer templates as 28x28 tiles, deeper matrices and biases as heatmaps."""
