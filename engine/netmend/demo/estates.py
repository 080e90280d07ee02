"""Builders of the runbook's broken estates: one VPC per root cause, plus a healthy one.

Each builder takes an EC2 client (moto or real AWS), builds a small two-tier estate in
its own VPC 10.N.0.0/16 with the runbook's misconfiguration, and returns a BuiltEstate:
the flow that fails and the id of the component that drops it. Tests, the examples and
``netmend demo`` share them; ``fix_by_hand`` applies the runbook's own fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from netmend.demo.built import HEALTHY, ROOT_CAUSES, BuiltEstate
from netmend.demo.handfix import fix_by_hand
from netmend.demo.scaffold import Scaffold, permission
from netmend.errors import BadInputError

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

__all__ = [
    "ESTATE_BUILDERS",
    "HEALTHY",
    "OCTETS",
    "ROOT_CAUSES",
    "BuiltEstate",
    "build_all",
    "build_estate",
    "fix_by_hand",
]

# Second octet of each estate's VPC (10.N.0.0/16): distinct, so all coexist in one region.
OCTETS: dict[str, int] = {cause: n for n, cause in enumerate((*ROOT_CAUSES, HEALTHY), start=1)}


def _network(sc: Scaffold, app: str, tiers: list[tuple[str, str, int]]) -> dict[str, str]:
    """VPC 10.N.0.0/16, one /24 per tier (``key``, name, third octet), one route table.

    The ids map gets ``vpc``, ``vpc_cidr``, ``route_table`` and, per tier,
    ``<key>_subnet`` and ``<key>_cidr``.
    """
    n = OCTETS[sc.estate]
    vpc_id = sc.vpc(f"{app}-vpc", f"10.{n}.0.0/16")
    ids = {"vpc": vpc_id, "vpc_cidr": f"10.{n}.0.0/16"}
    for key, tier, third in tiers:
        ids[f"{key}_cidr"] = f"10.{n}.{third}.0/24"
        ids[f"{key}_subnet"] = sc.subnet(vpc_id, f"{app}-{tier}", ids[f"{key}_cidr"])
    subnets = [ids[f"{key}_subnet"] for key, _, _ in tiers]
    ids["route_table"] = sc.route_table(vpc_id, f"{app}-private-rt", subnets)
    return ids


def _launch(
    sc: Scaffold, ids: dict[str, str], role: str, name: str, groups: list[str], *, ip: str
) -> None:
    """Launch the client or server instance; record its instance and ENI ids under ``role``."""
    instance_id, eni_id = sc.instance(name, ids[f"{role}_subnet"], groups, ip)
    ids[f"{role}_instance"] = instance_id
    ids[f"{role}_eni"] = eni_id


def _estate(
    sc: Scaffold,
    name: str,
    ids: dict[str, str],
    *,
    protocol: str,
    port: int | None,
    expected: str | None,
    description: str,
) -> BuiltEstate:
    return BuiltEstate(
        name=name,
        root_cause=sc.estate,
        vpc_id=ids["vpc"],
        source=ids["client_instance"],
        destination=ids["server_instance"],
        protocol=protocol,
        port=port,
        expected_component=expected,
        description=description,
        ids=ids,
    )


def build_wrong_port(ec2: EC2Client) -> BuiltEstate:
    """RC1: payments-api listens on 8443, its group opens 8080 (and 22) to the VPC."""
    sc = Scaffold(ec2, "wrong-port")
    ids = _network(sc, "payments", [("client", "web", 2), ("server", "api", 1)])
    vpc, cidr = ids["vpc"], ids["vpc_cidr"]
    ids["client_sg"] = sc.group(vpc, "storefront-web-sg", "Storefront web tier")
    ids["server_sg"] = sc.group(vpc, "payments-api-sg", "Payments API (java on 8443)")
    sc.ingress(
        ids["server_sg"],
        permission("tcp", 22, cidr=cidr, description="ssh from the VPC"),
        permission("tcp", 8080, cidr=cidr, description="payments API"),
    )
    n = OCTETS[sc.estate]
    _launch(sc, ids, "client", "storefront-web-1", [ids["client_sg"]], ip=f"10.{n}.2.100")
    _launch(sc, ids, "server", "payments-api-1", [ids["server_sg"]], ip=f"10.{n}.1.50")
    return _estate(
        sc,
        "payments-api-wrong-port",
        ids,
        protocol="tcp",
        port=8443,
        expected=ids["server_sg"],
        description=f"payments-api listens on tcp/8443 but payments-api-sg opens tcp/8080 "
        f"(and 22) to {cidr}",
    )


def build_wrong_cidr(ec2: EC2Client) -> BuiltEstate:
    """RC2: the API admits 443 from 10.N.1.0/24; the client sits in 10.N.2.0/24."""
    sc = Scaffold(ec2, "wrong-cidr")
    n = OCTETS[sc.estate]
    ids = _network(sc, "checkout", [("client", "web", 2), ("server", "api", 1)])
    vpc = ids["vpc"]
    ids["client_sg"] = sc.group(vpc, "checkout-web-sg", "Checkout web tier")
    ids["server_sg"] = sc.group(vpc, "checkout-api-sg", "Checkout API (https)")
    # The rule names the API's own subnet (10.N.1.0/24), as in the runbook.
    sc.ingress(
        ids["server_sg"],
        permission("tcp", 443, cidr=ids["server_cidr"], description="https from the app subnet"),
    )
    _launch(sc, ids, "client", "checkout-web-1", [ids["client_sg"]], ip=f"10.{n}.2.100")
    _launch(sc, ids, "server", "checkout-api-1", [ids["server_sg"]], ip=f"10.{n}.1.50")
    return _estate(
        sc,
        "checkout-api-wrong-cidr",
        ids,
        protocol="tcp",
        port=443,
        expected=ids["server_sg"],
        description=f"checkout-api-sg admits tcp/443 from 10.{n}.1.0/24 only; checkout-web "
        f"sends from 10.{n}.2.100",
    )


def _client_to_database(sc: Scaffold, app: str) -> dict[str, str]:
    """RC3/RC4 layout: a client tier, shared services (10.N.3.0/24) and a database tier."""
    n = OCTETS[sc.estate]
    ids = _network(
        sc, app, [("client", "app", 1), ("shared", "shared-services", 3), ("server", "db", 4)]
    )
    ids["client_sg"] = sc.group(
        ids["vpc"], f"{app}-app-sg", f"{app} application tier", open_egress=False
    )
    ids["server_sg"] = sc.group(ids["vpc"], f"{app}-db-sg", f"{app} PostgreSQL")
    sc.ingress(
        ids["server_sg"],
        permission("tcp", 5432, cidr=ids["vpc_cidr"], description="postgres from the VPC"),
    )
    # Hardened egress: only HTTPS to the shared-services subnet, as in the runbook.
    sc.egress(
        ids["client_sg"],
        permission("tcp", 443, cidr=f"10.{n}.3.0/24", description="https to shared services"),
    )
    return ids


def build_missing_egress(ec2: EC2Client) -> BuiltEstate:
    """RC3: the client's group lost its default egress; only tcp 443 to 10.N.3.0/24 is left."""
    sc = Scaffold(ec2, "missing-egress")
    n = OCTETS[sc.estate]
    ids = _client_to_database(sc, "orders")
    _launch(sc, ids, "client", "orders-worker-1", [ids["client_sg"]], ip=f"10.{n}.1.50")
    _launch(sc, ids, "server", "orders-db-1", [ids["server_sg"]], ip=f"10.{n}.4.20")
    return _estate(
        sc,
        "orders-worker-missing-egress",
        ids,
        protocol="tcp",
        port=5432,
        expected=ids["client_sg"],
        description=f"orders-app-sg has no default egress, only tcp/443 to 10.{n}.3.0/24; "
        f"orders-db listens on tcp/5432 at 10.{n}.4.20",
    )


def build_stateful_misunderstanding(ec2: EC2Client) -> BuiltEstate:
    """RC4: stateless thinking on the client's group, and no egress for its own client role."""
    sc = Scaffold(ec2, "stateful-misunderstanding")
    n = OCTETS[sc.estate]
    ids = _client_to_database(sc, "billing")
    cidr = ids["vpc_cidr"]
    sc.ingress(
        ids["client_sg"],
        permission("tcp", 443, cidr=cidr, description="https API"),
        # The stateless mental model: "return traffic needs the ephemeral ports open".
        permission("tcp", 1024, 65535, cidr=cidr, description="return traffic"),
    )
    # ... and "inbound 443 needs a matching outbound 443".
    sc.egress(
        ids["client_sg"], permission("tcp", 443, cidr=cidr, description="mirror of inbound 443")
    )
    _launch(sc, ids, "client", "billing-app-1", [ids["client_sg"]], ip=f"10.{n}.1.50")
    _launch(sc, ids, "server", "billing-db-1", [ids["server_sg"]], ip=f"10.{n}.4.20")
    return _estate(
        sc,
        "billing-app-stateful-misunderstanding",
        ids,
        protocol="tcp",
        port=5432,
        expected=ids["client_sg"],
        description="billing-app-sg mirrors inbound rules (443 both ways, inbound 1024-65535) "
        "but has no egress for its own connection to billing-db on tcp/5432",
    )


def build_nacl_override(ec2: EC2Client) -> BuiltEstate:
    """RC5: a custom ACL on the server subnet allows inbound 443 only; the flow is 8443."""
    sc = Scaffold(ec2, "nacl-override")
    n = OCTETS[sc.estate]
    ids = _network(sc, "ledger", [("client", "web", 2), ("server", "api", 1)])
    vpc, cidr = ids["vpc"], ids["vpc_cidr"]
    ids["client_sg"] = sc.group(vpc, "ledger-web-sg", "Ledger web tier")
    ids["server_sg"] = sc.group(vpc, "ledger-api-sg", "Ledger API (8443)")
    sc.ingress(
        ids["server_sg"],
        permission("tcp", 443, cidr=cidr, description="https"),
        permission("tcp", 8443, cidr=cidr, description="ledger API"),
    )
    acl = sc.network_acl(vpc, "ledger-api-restricted-acl", ids["server_subnet"])
    ids["network_acl"] = acl
    sc.acl_entry(acl, 100, egress=False, cidr=cidr, ports=(443, 443))
    sc.acl_entry(acl, 100, egress=True, cidr=cidr, ports=(1024, 65535))
    _launch(sc, ids, "client", "ledger-web-1", [ids["client_sg"]], ip=f"10.{n}.2.100")
    _launch(sc, ids, "server", "ledger-api-1", [ids["server_sg"]], ip=f"10.{n}.1.50")
    return _estate(
        sc,
        "ledger-api-nacl-override",
        ids,
        protocol="tcp",
        port=8443,
        expected=acl,
        description="ledger-api-restricted-acl admits inbound tcp/443 only; the groups allow "
        "tcp/8443 but the ACL's rule 32767 drops it",
    )


def build_wrong_protocol(ec2: EC2Client) -> BuiltEstate:
    """RC6 (DNS): the resolver's group opens tcp 53; queries go out on udp 53.

    The runbook's resolver is VPC+2, which no group or ACL can block (AWS wins), so the
    estate runs its own DNS forwarder on an instance.
    """
    sc = Scaffold(ec2, "wrong-protocol")
    n = OCTETS[sc.estate]
    ids = _network(sc, "corp-dns", [("client", "app", 2), ("server", "dns", 1)])
    vpc, cidr = ids["vpc"], ids["vpc_cidr"]
    ids["client_sg"] = sc.group(vpc, "corp-app-sg", "Application servers")
    ids["server_sg"] = sc.group(vpc, "dns-forwarder-sg", "DNS forwarder for on-prem zones")
    sc.ingress(ids["server_sg"], permission("tcp", 53, cidr=cidr, description="DNS"))
    _launch(sc, ids, "client", "corp-app-1", [ids["client_sg"]], ip=f"10.{n}.2.100")
    _launch(sc, ids, "server", "dns-forwarder-1", [ids["server_sg"]], ip=f"10.{n}.1.53")
    return _estate(
        sc,
        "dns-forwarder-wrong-protocol",
        ids,
        protocol="udp",
        port=53,
        expected=ids["server_sg"],
        description="dns-forwarder-sg opens tcp/53 but DNS queries use udp/53 "
        "(dig +tcp works, plain dig times out)",
    )


def build_sg_not_attached(ec2: EC2Client) -> BuiltEstate:
    """RC7: inventory-api-sg admits the flow but only the default group is on the server."""
    sc = Scaffold(ec2, "sg-not-attached")
    n = OCTETS[sc.estate]
    ids = _network(sc, "inventory", [("client", "web", 2), ("server", "api", 1)])
    vpc = ids["vpc"]
    ids["client_sg"] = sc.group(vpc, "inventory-web-sg", "Inventory web tier")
    ids["unattached_sg"] = sc.group(
        vpc, "inventory-api-sg", "Inventory API (8443)", extra_tags={"Service": "inventory-api"}
    )
    sc.ingress(
        ids["unattached_sg"],
        permission("tcp", 8443, group_id=ids["client_sg"], description="from the web tier"),
    )
    # The launch template forgot the new group: the instance got the VPC's default one.
    ids["default_sg"] = ids["server_sg"] = sc.default_group(vpc)
    _launch(sc, ids, "client", "inventory-web-1", [ids["client_sg"]], ip=f"10.{n}.2.100")
    _launch(sc, ids, "server", "inventory-api-1", [ids["server_sg"]], ip=f"10.{n}.1.50")
    return _estate(
        sc,
        "inventory-api-sg-not-attached",
        ids,
        protocol="tcp",
        port=8443,
        expected=ids["server_sg"],
        description="inventory-api-sg admits tcp/8443 from the web tier but was never "
        "attached; inventory-api-1 carries only the VPC's default group",
    )


def _stale_partner_rules() -> list[tuple[str, int, int, str]]:
    """60 inbound rules (cidr, from, to, description) none of which admits the VPC.

    14 are redundant: /32 hosts inside a broader rule of the same group, and hosts on
    443 that also have a temporary all-ports rule. AWS and moto refuse exact duplicates
    (InvalidPermission.Duplicate), so redundancy is shadowing, never a second copy.
    """
    rules = [("198.51.100.0/24", 443, 443, "partner-net (consolidated)")]
    rules += [(f"198.51.100.{h}/32", 443, 443, "partner host") for h in range(10, 22)]
    for host in (5, 6):
        rules.append((f"203.0.113.{host}/32", 1, 65535, "temporary debug access"))
        rules.append((f"203.0.113.{host}/32", 443, 443, "vendor support"))
    rules += [(f"203.0.113.{h}/32", 443, 443, "partner host") for h in range(20, 63)]
    return rules


def build_rule_quota_exceeded(ec2: EC2Client) -> BuiltEstate:
    """RC8: the gateway's group holds 60 inbound rules; the batch tier's rule cannot be added."""
    sc = Scaffold(ec2, "rule-quota-exceeded")
    n = OCTETS[sc.estate]
    ids = _network(sc, "partner", [("client", "batch", 2), ("server", "gateway", 1)])
    vpc = ids["vpc"]
    ids["client_sg"] = sc.group(vpc, "partner-batch-sg", "Internal batch jobs")
    ids["server_sg"] = sc.group(vpc, "partner-gateway-sg", "Partner API gateway")
    rules = _stale_partner_rules()
    for start in range(0, len(rules), 20):  # a few calls, as rules accumulated over time
        sc.ingress(
            ids["server_sg"],
            *(
                permission("tcp", low, high, cidr=cidr, description=text)
                for cidr, low, high, text in rules[start : start + 20]
            ),
        )
    _launch(sc, ids, "client", "partner-batch-1", [ids["client_sg"]], ip=f"10.{n}.2.100")
    _launch(sc, ids, "server", "partner-gateway-1", [ids["server_sg"]], ip=f"10.{n}.1.50")
    return _estate(
        sc,
        "partner-gateway-rule-quota",
        ids,
        protocol="tcp",
        port=443,
        expected=ids["server_sg"],
        description=f"partner-gateway-sg holds {len(rules)} inbound rules (the quota), none "
        "for the batch tier on tcp/443; adding one fails with RulesPerSecurityGroupLimitExceeded",
    )


def build_healthy(ec2: EC2Client) -> BuiltEstate:
    """Control: the flow works through a group reference and a correct custom ACL."""
    sc = Scaffold(ec2, HEALTHY)
    n = OCTETS[sc.estate]
    ids = _network(sc, "catalog", [("client", "web", 2), ("server", "api", 1)])
    vpc, cidr = ids["vpc"], ids["vpc_cidr"]
    ids["client_sg"] = sc.group(vpc, "catalog-web-sg", "Catalog web tier")
    ids["server_sg"] = sc.group(vpc, "catalog-api-sg", "Catalog API (https)")
    sc.ingress(
        ids["server_sg"],
        permission("tcp", 443, group_id=ids["client_sg"], description="https from the web tier"),
    )
    acl = sc.network_acl(vpc, "catalog-api-acl", ids["server_subnet"])
    ids["network_acl"] = acl
    sc.acl_entry(acl, 100, egress=False, cidr=cidr, ports=(443, 443))
    sc.acl_entry(acl, 100, egress=True, cidr=cidr, ports=(1024, 65535))
    _launch(sc, ids, "client", "catalog-web-1", [ids["client_sg"]], ip=f"10.{n}.2.100")
    _launch(sc, ids, "server", "catalog-api-1", [ids["server_sg"]], ip=f"10.{n}.1.50")
    return _estate(
        sc,
        "catalog-api-healthy",
        ids,
        protocol="tcp",
        port=443,
        expected=None,
        description="control: catalog-web reaches catalog-api on tcp/443 (group reference, "
        "custom ACL with inbound 443 and outbound ephemeral ports)",
    )


ESTATE_BUILDERS: dict[str, Callable[[EC2Client], BuiltEstate]] = {
    "wrong-port": build_wrong_port,
    "wrong-cidr": build_wrong_cidr,
    "missing-egress": build_missing_egress,
    "stateful-misunderstanding": build_stateful_misunderstanding,
    "nacl-override": build_nacl_override,
    "wrong-protocol": build_wrong_protocol,
    "sg-not-attached": build_sg_not_attached,
    "rule-quota-exceeded": build_rule_quota_exceeded,
    HEALTHY: build_healthy,
}


def build_estate(ec2: EC2Client, root_cause: str) -> BuiltEstate:
    """Build the estate of one root cause (or ``healthy``); BadInputError if unknown."""
    builder = ESTATE_BUILDERS.get(root_cause)
    if builder is None:
        known = ", ".join(ESTATE_BUILDERS)
        raise BadInputError(f"no demo estate for {root_cause!r}: choose one of {known}")
    return builder(ec2)


def build_all(ec2: EC2Client) -> list[BuiltEstate]:
    """Build every estate, each in its own VPC, in the runbook's order, healthy last."""
    return [builder(ec2) for builder in ESTATE_BUILDERS.values()]
