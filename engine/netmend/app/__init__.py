"""The application core the faces call: diagnose, fix, approvals, runs, intents.

The CLI, the Slack app and the event worker parse their input into a request
(``netmend.app.requests``), call one function here and render what it returns; the
logic lives here, not in a face, and nothing here prints or imports rich or typer.

- ``diagnosis``: ``diagnose_request`` / ``diagnose`` and the diagnose JSON contract;
- ``fixing``: ``fix`` (plan, apply, or apply a recorded plan by run id) and ``fix_flow``;
- ``approvals``: hold a recorded plan for a person and take their answer;
- ``runs``: list, show and roll back runs;
- ``intents``: check an intents file;
- ``scan`` (issue 12): ``netmend scan`` goes in ``app/scan.py``, a ScanRequest beside the
  others in ``requests.py``.

Import the modules themselves; this package re-exports nothing so that it stays cheap.
"""

__all__: list[str] = []
