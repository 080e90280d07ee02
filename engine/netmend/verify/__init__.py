"""Verification: does a flow pass (locally or by Reachability Analyzer), did a run break
nothing, do declared intents hold.

Import the modules themselves; this package re-exports nothing, so it stays cheap.
"""

__all__: list[str] = []
