"""The scan's shared work changes no finding: random estates, deduplicated vs naive.

``missing-self-reference`` and ``ssm-egress-blocked`` evaluate one interface per class
of alike interfaces (netmend.playbook.detectors.estate.alike) and reuse verdicts. The
naive path here is the same detectors' checks with no classes: every member tried as a
destination, every instance evaluated on its own, nothing cached. On random estates
built to make classes large (few group sets, few subnets) and to make addresses matter
(/32 and /28 rules and ACL entries inside the subnets, a route to one host, stopped
instances, public IPs), both paths must give the same evidence, entry for entry.
"""

from __future__ import annotations

import random

import pytest

from netmend.model import (
    AclEntry,
    Instance,
    InternetGateway,
    Inventory,
    NetworkAcl,
    NetworkInterface,
    Route,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)
from netmend.playbook import load_playbooks
from netmend.playbook.context import StepContext
from netmend.playbook.detectors.estate.alike import InterfaceClasses
from netmend.playbook.detectors.estate.selfref import (
    SelfReferenceCheck,
    SelfReferenceParams,
    evidence_of,
)
from netmend.playbook.detectors.estate.ssm import SsmCheck, ssm_findings
from netmend.playbook.registry import detectors
from netmend.reach.evaluate import evaluator_for
from netmend.scan.grading import ExposureCache, grade_exposure
from netmend.scan.run import estate_playbooks, playbook_entries

VPC = "vpc-0dedupe000000001"
PORTS = (22, 443, 5432, 8080)


def _address(subnet: int, host: int) -> str:
    return f"10.9.{subnet}.{host}"


def _rule(rng: random.Random, group: str, groups: list[str], egress: bool, n: int) -> SgRule:
    low = rng.choice(PORTS)
    high = low + rng.choice((0, 0, 10))
    kind = rng.random()
    peer: dict[str, str]
    if kind < 0.3:
        peer = {"referenced_group_id": rng.choice(groups)}
    elif kind < 0.5:
        peer = {"cidr_ipv4": "0.0.0.0/0"}
    elif kind < 0.6:
        peer = {"cidr_ipv4": f"{_address(rng.randrange(3), rng.randrange(10, 30))}/32"}
    elif kind < 0.75:
        peer = {"cidr_ipv4": f"10.9.{rng.randrange(3)}.16/28"}
    else:
        peer = {"cidr_ipv4": rng.choice(("10.9.0.0/16", "10.9.1.0/24", "10.9.2.0/24"))}
    return SgRule(
        group_id=group,
        egress=egress,
        protocol=rng.choice(("tcp", "tcp", "tcp", "udp")),
        from_port=low,
        to_port=high,
        rule_id=f"sgr-{group[3:]}{n:03d}{int(egress)}",
        **peer,
    )


def random_estate(seed: int) -> tuple[Inventory, dict[str, dict[str, list[str]]] | None]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible estate, not a secret
    names = [f"sg-0dedupe{n:09d}" for n in range(6)]
    groups = [
        SecurityGroup(
            group_id=g,
            group_name=g,
            vpc_id=VPC,
            rules=tuple(
                _rule(rng, g, names, egress, n)
                for n in range(rng.randint(0, 5))
                for egress in (False, True)
                if rng.random() < 0.8
            ),
        )
        for g in names
    ]
    sets = [tuple(rng.sample(names, rng.randint(1, 2))) for _ in range(4)]
    subnets = [
        Subnet(subnet_id=f"subnet-0dedupe{n:08d}", vpc_id=VPC, cidr_block=f"10.9.{n}.0/24")
        for n in range(3)
    ]
    enis: list[NetworkInterface] = []
    instances: list[Instance] = []
    for n in range(rng.randint(12, 30)):
        subnet = rng.randrange(3)
        eni_id = f"eni-0dedupe{n:09d}"
        instance_id = f"i-0dedupe{n:011d}"
        address = _address(subnet, 10 + n)
        enis.append(
            NetworkInterface(
                network_interface_id=eni_id,
                subnet_id=subnets[subnet].subnet_id,
                vpc_id=VPC,
                private_ips=(address,),
                public_ip=f"203.0.113.{n}" if rng.random() < 0.4 else None,
                group_ids=rng.choice(sets),
                instance_id=instance_id,
                device_index=0,
            )
        )
        instances.append(
            Instance(
                instance_id=instance_id,
                state="running" if rng.random() < 0.9 else "stopped",
                vpc_id=VPC,
                subnet_id=subnets[subnet].subnet_id,
                private_ip=address,
                network_interface_ids=(eni_id,),
            )
        )
    entries = [
        AclEntry(
            rule_number=number,
            egress=egress,
            protocol=rng.choice(("tcp", "-1")),
            rule_action=rng.choice(("allow", "allow", "deny")),
            cidr=rng.choice(("0.0.0.0/0", "10.9.0.16/28", f"{_address(1, 12)}/32")),
            port_from=443,
            port_to=rng.choice((443, 65535)),
        )
        for number in (10, 20)
        for egress in (False, True)
    ] + [
        AclEntry(rule_number=100, egress=e, protocol="-1", rule_action="allow", cidr="0.0.0.0/0")
        for e in (False, True)
    ]
    acls = (
        NetworkAcl(
            network_acl_id="acl-0dedupe00000001",
            vpc_id=VPC,
            is_default=True,
            entries=tuple(entries[-2:]),
        ),
        NetworkAcl(
            network_acl_id="acl-0dedupe00000002",
            vpc_id=VPC,
            entries=tuple(entries),
            subnet_ids=(subnets[1].subnet_id,),
        ),
    )
    routes = (
        Route(destination_cidr="10.9.0.0/16", target_kind="local"),
        Route(
            destination_cidr="0.0.0.0/0",
            target_kind="internet-gateway",
            target_id="igw-0dedupe0001",
        ),
    )
    tables = (
        RouteTable(route_table_id="rtb-0dedupe00000001", vpc_id=VPC, routes=routes, is_main=True),
    )
    endpoints = None
    if rng.random() < 0.5:
        endpoint = enis[0].network_interface_id
        endpoints = {VPC: {s: [endpoint] for s in ("ssm", "ssmmessages", "ec2messages")}}
    inventory = Inventory(
        region="eu-west-1",
        vpcs=(Vpc(vpc_id=VPC, cidr_blocks=("10.9.0.0/16",)),),
        subnets=tuple(subnets),
        security_groups=tuple(groups),
        network_interfaces=tuple(enis),
        instances=tuple(instances),
        network_acls=acls,
        route_tables=tables,
        internet_gateways=(InternetGateway(internet_gateway_id="igw-0dedupe0001", vpc_ids=(VPC,)),),
    )
    return inventory, endpoints


def _naive_self_reference(inventory: Inventory) -> list[dict[str, object]]:
    # Every member, every pair evaluated, nothing cached, no shortcut.
    check = SelfReferenceCheck(inventory, classes=None, shortcuts=False)
    params = SelfReferenceParams()
    found = []
    for group in inventory.security_groups:
        blocked = check.find(group, params)
        if blocked:
            found.append(evidence_of(inventory, group, blocked))
    return found


def _deduplicated(inventory: Inventory, name: str, signals: dict[str, object]) -> list[object]:
    ctx = StepContext(
        inventory=inventory, run_id="test", playbook_id=name, evidence={"signals": signals}
    )
    found = detectors()[name]
    answer = found.detect(ctx, found.params())
    return list(answer["findings"]) if answer else []


@pytest.mark.parametrize("seed", range(8))
def test_findings_equal_the_naive_paths(seed: int) -> None:
    """Same self-reference and SSM findings, evidence and all, with and without classes;
    the classes really merge interfaces (fewer classes than interfaces)."""
    inventory, endpoints = random_estate(seed)
    classes = InterfaceClasses(inventory)
    assert len({classes.behaviour(e) for e in inventory.network_interfaces}) < len(
        inventory.network_interfaces
    )
    assert _deduplicated(inventory, "sg.missing-self-reference", {}) == _naive_self_reference(
        inventory
    )
    signals = {"vpc_endpoints": endpoints} if endpoints else {}
    naive = ssm_findings(inventory, SsmCheck(inventory, endpoints, classes=None))
    assert _deduplicated(inventory, "reach.ssm-egress-blocked", signals) == naive


@pytest.mark.parametrize("seed", range(8))
def test_exposure_grades_equal_the_naive_path(seed: int) -> None:
    """world-open-sensitive-port's grades (exposed or not, which ENIs, why) are the same
    with one evaluation per class as with one per interface and port."""
    inventory, _ = random_estate(seed)
    (playbook,) = estate_playbooks(load_playbooks(), ["world-open-sensitive-port"])
    evaluator = evaluator_for(inventory)
    cache = ExposureCache(inventory)
    for entry in playbook_entries(inventory, playbook, {}):
        enis = [str(e) for e in entry["enis"]]
        naive = grade_exposure(evaluator, enis, entry["exposure"])
        assert grade_exposure(evaluator, enis, entry["exposure"], cache) == naive


def test_an_address_a_narrow_rule_names_is_its_own_class() -> None:
    """Two interfaces alike but for the address a /32 rule names: two classes; without
    the rule, one (the subnet's other CIDRs hold both addresses or neither)."""
    inventory, _ = random_estate(3)
    subnet = "subnet-0dedupe00000002"  # 10.9.2.0/24
    one = NetworkInterface(
        network_interface_id="eni-0dedupe100000001",
        subnet_id=subnet,
        vpc_id=VPC,
        private_ips=("10.9.2.200",),
        group_ids=("sg-0dedupe000000000",),
    )
    two = one.model_copy(
        update={"network_interface_id": "eni-0dedupe100000002", "private_ips": ("10.9.2.201",)}
    )
    pin = SgRule(
        group_id="sg-0dedupe000000000",
        egress=False,
        protocol="tcp",
        from_port=1,
        to_port=1,
        cidr_ipv4="10.9.2.201/32",
    )
    group = SecurityGroup(group_id=pin.group_id, group_name="pin", vpc_id=VPC, rules=(pin,))
    fields = {name: getattr(inventory, name) for name in Inventory.model_fields}
    fields |= {"network_interfaces": (one, two), "network_acls": (), "route_tables": ()}
    plain = InterfaceClasses(Inventory(**(fields | {"security_groups": ()})))
    pinned = InterfaceClasses(Inventory(**(fields | {"security_groups": (group,)})))
    assert plain.behaviour(one) == plain.behaviour(two)
    assert pinned.behaviour(one) != pinned.behaviour(two)
