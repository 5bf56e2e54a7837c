"""How a scan runs: what to (re)do (plan), analysing files (in-process or a worker pool), and
committing results to the store. Engines change speed, never results."""

from faceatlas.engines.scan import ScanSummary, scan

__all__ = ["ScanSummary", "scan"]
