"""teamop: a Kubernetes operator for Posit Team."""

__version__ = "0.1.0"
