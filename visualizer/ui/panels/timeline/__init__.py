"""The timeline bar: every moment of the run, a cursor to look at any of them, and replay."""
