"""Suite specs (tasks/**/suite.yaml) and their registry."""

from harness.suites.registry import SuiteRegistry, load_suites
from harness.suites.spec import SuiteLimits, SuiteSpec

__all__ = ["SuiteLimits", "SuiteRegistry", "SuiteSpec", "load_suites"]
