"""The one version string of snn-hub (pyproject.toml reads it from here)."""

__version__ = "0.1.0"
