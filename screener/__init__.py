"""screener: screen names against restricted and high-risk surveillance-technology lists.

``from screener import Screener`` gives the screening service
(:class:`screener.screening.service.Screener`); it is imported on first use, so that
``import screener`` (and so every command's start) stays cheap.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["Screener", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Screener":
        from screener.screening.service import Screener

        return Screener
    raise AttributeError(f"module 'screener' has no attribute {name!r}")
