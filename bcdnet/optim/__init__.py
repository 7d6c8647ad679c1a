"""Optimizers on flat parameter vectors (filled in by the optimizers work)."""
