"""The application core the faces call: diagnose, fix, runs, approvals.

The CLI, the Slack app and the event worker parse their input, call this core and
render what it returns; the logic lives here, not in a face.
"""

__all__: list[str] = []
