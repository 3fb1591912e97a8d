"""Colour ranges of the weight maps: a big matrix's robust range is sampled, stable and close to exact."""

def test_a_big_matrix_is_scaled_to_a_sampled_percentile_close_to_the_exact_one():
    import numpy as np

    from visualizer.core import mosaic

    rng = np.random.default_rng(5)
    w = rng.normal(0, 0.03, (1024, 1024)).astype(np.float32)
    w[:, 7] *= 20  # one neuron's weights far larger: a strided sample could land on this column only
    exact = float(np.percentile(np.abs(w), mosaic.ROBUST_QUANTILE))
    got = mosaic.color_scale(w)
    assert got == mosaic.color_scale(w.copy()), "the same matrix, the same range"
    assert abs(got - exact) / exact < 0.05
    small = rng.normal(0, 0.03, (784, 16)).astype(np.float32)  # 12,544 values: exact, as before
    assert mosaic.color_scale(small) == float(np.percentile(np.abs(small), mosaic.ROBUST_QUANTILE))
