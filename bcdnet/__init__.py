"""bcdnet: sensitivity-guided, layer-by-layer training of deep regression networks in NumPy."""

__version__ = "0.1.0"
