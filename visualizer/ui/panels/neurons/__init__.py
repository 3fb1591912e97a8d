"""The Neurons panel: neuron x digit responses, one neuron up close, the network's idea of a digit, hints."""
