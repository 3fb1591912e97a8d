"""Widgets that only draw the data they are given (snapshots, activations, histories)."""

from visualizer.ui.widgets.curves import Curves
from visualizer.ui.widgets.network_view import NetworkView, NeuronInfo
from visualizer.ui.widgets.weight_maps import WeightMaps

__all__ = ["Curves", "NetworkView", "NeuronInfo", "WeightMaps"]
