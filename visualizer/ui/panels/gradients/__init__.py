"""The Gradients dock: what one example asks of every neuron and weight, a batch's average, and one step in slow motion."""
