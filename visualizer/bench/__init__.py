"""Every benchmark of ``nnviz bench``: training throughput, the numpy passes, the pad, the window.

Benchmarks use the public API and the session's events only; no product module imports this
package (an import-linter contract), so nothing here can slow the product down.
"""
