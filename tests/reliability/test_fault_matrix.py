"""A representative slice of the fault matrix (tests/reliability/matrix.py), on moto.

One case per kind of fault (a retried throttle, a refused write, an unknown outcome,
SIGKILL, a rollback that fails for good), on each kind of resource (security group,
network ACL, interface).
The whole matrix (every playbook, every write, every fault) is ``benchmarks/faults.py``:
it is too slow for the suite and shows zero lost.
"""

from __future__ import annotations

import pytest

from tests.reliability.matrix import Case, FaultLab

pytestmark = pytest.mark.integration

CASES = [
    Case("wrong-port", 1, "throttle"),
    Case("sg-not-attached", 1, "unauthorized"),
    Case("wrong-cidr", 1, "reset-after"),
    Case("missing-egress", 1, "kill"),
    Case("nacl-override", 1, "rollback-fails"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_is_survived(fault_lab: FaultLab, case: Case) -> None:
    """The fault at write k ends where netmend promises (see matrix.py): retried and
    applied, rolled back to the snapshot, resolved by reading back, restored after
    SIGKILL, or rollback_failed naming the exact difference and finished later."""
    result = fault_lab.run(case)
    assert result.survived, f"{case.name}: {result.detail}"
