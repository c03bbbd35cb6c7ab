"""Version of the logprov package."""

__version__ = "0.1.0"
