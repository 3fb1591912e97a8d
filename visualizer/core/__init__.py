"""numpy-only core: configuration, snapshots, forward pass, preprocessing, history (no Qt, no TensorFlow)."""
