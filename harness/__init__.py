"""gapbench: the capability gap between open-weight and closed models, over time."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gapbench")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
