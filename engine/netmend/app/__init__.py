"""The application core the faces call: diagnose, fix, approvals, runs, intents.

The CLI, the Slack app and the event worker parse their input into a request
(``netmend.app.requests``), call one function here and render what it returns; the
logic lives here, not in a face, and nothing here prints or imports rich or typer.
Results are pydantic models whose ``model_dump(mode="json")`` is the face's JSON.
A long-lived face passes its open config, clients and playbooks (``workspace``).

- ``diagnosis``: ``diagnose_request`` / ``diagnose`` and ``Diagnosis`` (diagnose's JSON);
- ``target_health``: ``diagnose_target_health`` (``diagnose --target-health``);
- ``fixing``: ``fix`` (plan, apply, or apply a recorded plan by run id), ``fix_flow``
  and ``FixResult``;
- ``approvals``: hold a recorded plan for a person and take their answer;
- ``runs``: list, show, prune and roll back runs;
- ``intents``: check an intents file;
- ``audit``: check the audit trail's hash chain;
- ``inventory``: save an estate for offline runs;
- ``scan`` (issue 12): ``netmend scan`` goes in ``app/scan.py``, a ScanRequest beside the
  others in ``requests.py``.

Import the modules themselves; this package re-exports nothing so that it stays cheap.
"""

__all__: list[str] = []
