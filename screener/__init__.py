"""screener: screen names against restricted and high-risk surveillance-technology lists."""

__version__ = "0.1.0"
