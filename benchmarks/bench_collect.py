"""How many calls and how long ``collect_inventory`` takes, sequential against concurrent.

A moto server (ThreadedMotoServer, as tests/conftest.py starts it) runs on 127.0.0.1
in a child process, so the server's Python does not share the collector's GIL (AWS is
not in our process either). For each estate size (``--groups``, default 1,000 and
5,000) the script builds an estate over HTTP (the fastest way moto allows: one
CreateSecurityGroup and one AuthorizeSecurityGroupIngress carrying every rule per
group, and RunInstances launching up to 100 instances, each with its primary ENI, per
call, from a few threads), then collects it side by side:

- sequentially (``concurrency=1``) and concurrently (``--concurrency``, default 6);
- as moto answers (loopback, no network: moto's own work dominates), and with
  ``--latency-ms`` (default 40) slept before every request is sent (a before-send
  hook), which stands in for the round trip to AWS that loopback lacks;
- counting the requests per operation with a botocore ``before-call`` hook.

moto ignores MaxResults for most describe calls and answers everything in one page,
so "calls" are what moto needed; ``aws_pages`` is what AWS would need at each API's
largest page (items / page maximum, at least one). The two collections' inventories
are compared (they must be equal, order included). Prints one JSON document; asserts
nothing about time (that depends on the machine). A small run first:

    .venv/bin/python benchmarks/bench_collect.py --groups 100
    .venv/bin/python benchmarks/bench_collect.py              # 1,000 and 5,000 groups
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import boto3
import botocore
import requests
from botocore.awsrequest import AWSResponse

REGION = "eu-west-1"
IMAGE = "ami-03cf127a"  # an image moto ships in every region
RULES_PER_GROUP = 9  # ingress, plus the default egress rule: 10 rules a group
BATCH = 100  # instances per RunInstances call


def _serve(pipe: Any) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    pipe.send(server.get_host_and_port())
    pipe.recv()  # until told to stop
    server.stop()


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port, in a child process."""
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=_serve, args=(theirs,))
    child.start()
    host, port = ours.recv()
    try:
        yield f"http://{host}:{port}"
    finally:
        ours.send("stop")
        child.join(10)


def _fake_aws_environment() -> None:
    folder = tempfile.mkdtemp(prefix="netmend-bench-aws-")
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.path.join(folder, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(folder, "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _ec2(endpoint: str) -> Any:
    config = botocore.config.Config(max_pool_connections=32, retries={"max_attempts": 10})
    return boto3.client("ec2", endpoint_url=endpoint, region_name=REGION, config=config)


def _rules(n: int, groups: list[str]) -> list[dict[str, Any]]:
    """Nine ingress rules for group ``n``: CIDRs on varied ports and two group peers."""
    perms: list[dict[str, Any]] = [
        {
            "IpProtocol": "tcp",
            "FromPort": 1000 + (n * 7 + k) % 5000,
            "ToPort": 1000 + (n * 7 + k) % 5000,
            "IpRanges": [{"CidrIp": f"10.{(n + k) % 256}.{k * 16}.0/20"}],
        }
        for k in range(RULES_PER_GROUP - 2)
    ]
    for step in (1, 2):
        perms.append(
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443 + step,
                "UserIdGroupPairs": [{"GroupId": groups[(n + step) % len(groups)]}],
            }
        )
    return perms


def build_estate(
    endpoint: str, groups: int, enis: int, subnets: int, workers: int
) -> dict[str, Any]:
    """One VPC, ``subnets`` subnets, ``groups`` groups of 10 rules, ``enis`` instances
    (one primary ENI each, two groups per ENI)."""
    started = time.perf_counter()
    requests.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()
    ec2 = _ec2(endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{16 * k}.0/20")["Subnet"]["SubnetId"]
        for k in range(subnets)
    ]
    with ThreadPoolExecutor(workers) as pool:
        group_ids = list(
            pool.map(
                lambda n: ec2.create_security_group(
                    GroupName=f"g{n:05d}", Description=f"group {n}", VpcId=vpc
                )["GroupId"],
                range(groups),
            )
        )
        list(
            pool.map(
                lambda n: ec2.authorize_security_group_ingress(
                    GroupId=group_ids[n], IpPermissions=_rules(n, group_ids)
                ),
                range(groups),
            )
        )

        def launch(batch: int) -> None:
            count = min(BATCH, enis - batch * BATCH)
            ec2.run_instances(
                ImageId=IMAGE,
                MinCount=count,
                MaxCount=count,
                SubnetId=subnet_ids[batch % len(subnet_ids)],
                SecurityGroupIds=[
                    group_ids[(2 * batch) % groups],
                    group_ids[(2 * batch + 1) % groups],
                ],
            )

        list(pool.map(launch, range(math.ceil(enis / BATCH))))
    return {
        "groups": groups,
        "rules": groups * (RULES_PER_GROUP + 1),
        "enis": enis,
        "instances": enis,
        "subnets": subnets,
        "build_seconds": round(time.perf_counter() - started, 1),
    }


class Meter:
    """Counts requests per operation and sleeps ``latency`` before each is sent; with
    ``record``, keeps every answer's raw HTTP response by (operation, parameters); with
    ``replay``, answers from such a record instead of sending (moto's work left out)."""

    def __init__(
        self,
        latency: float,
        *,
        record: dict[tuple[str, str], Any] | None = None,
        replay: dict[tuple[str, str], Any] | None = None,
        pages: dict[str, int] | None = None,
    ) -> None:
        self.latency = latency
        self.pages = pages or {}
        self.calls: Counter[str] = Counter()
        self.record = record
        self.replay = replay
        self._lock = threading.Lock()
        self._current = threading.local()

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build", self._count)
        client.meta.events.register("before-send", self._send)
        if self.record is not None:
            client.meta.events.register("response-received", self._keep)

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self._current.key = (model.name, json.dumps(params, sort_keys=True, default=str))
        with self._lock:
            self.calls[model.name] += 1

    def _send(self, **_: Any) -> Any:
        if self.latency:
            # With ``pages``, one round trip per page AWS would need for this answer.
            time.sleep(self.latency * self.pages.get(self._current.key[0], 1))
        if self.replay is None:
            return None
        status, headers, body = self.replay[self._current.key]
        return AWSResponse("http://replay.invalid/", status, headers, _Body(body))

    def _keep(self, response_dict: dict[str, Any] | None, **_: Any) -> None:
        if response_dict is not None and self.record is not None:
            self.record[self._current.key] = (
                response_dict["status_code"],
                dict(response_dict["headers"]),
                response_dict["body"],
            )


class _Body:
    """The raw stream AWSResponse reads a recorded body from."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def collect(
    endpoint: str, concurrency: int, latency_ms: float, **meter: Any
) -> tuple[Any, float, Counter[str]]:
    from netmend.aws.collector import collect_inventory
    from netmend.aws.session import AwsOptions, make_clients

    clients = make_clients(AwsOptions(region=REGION, endpoint_url=endpoint))
    metered = Meter(latency_ms / 1000, **meter)
    for client in (clients.ec2, clients.elbv2, clients.service_quotas):
        metered.attach(client)
    started = time.perf_counter()
    inventory = collect_inventory(clients, concurrency=concurrency)
    return inventory, time.perf_counter() - started, metered.calls


# Operation -> (inventory count it pages over, page maximum); one call at least.
def aws_pages(inventory: Any) -> dict[str, int]:
    from netmend.aws.paging import page_size_for

    sizes = {
        "DescribeVpcs": (len(inventory.vpcs), "describe_vpcs"),
        "DescribeSubnets": (len(inventory.subnets), "describe_subnets"),
        "DescribeRouteTables": (len(inventory.route_tables), "describe_route_tables"),
        "DescribeNetworkAcls": (len(inventory.network_acls), "describe_network_acls"),
        "DescribeSecurityGroups": (len(inventory.security_groups), "describe_security_groups"),
        "DescribeSecurityGroupRules": (
            sum(len(g.rules) for g in inventory.security_groups),
            "describe_security_group_rules",
        ),
        "DescribeNetworkInterfaces": (
            len(inventory.network_interfaces),
            "describe_network_interfaces",
        ),
        "DescribeInstances": (len(inventory.instances), "describe_instances"),
    }
    return {
        name: max(1, math.ceil(count / page_size_for(operation)))
        for name, (count, operation) in sizes.items()
    }


def group_answer_parsing(endpoint: str, repeat: int) -> dict[str, Any]:
    """DescribeSecurityGroups read whole against read without IpPermissions (best of
    ``repeat``): what leaving the repeated rules unparsed saves."""
    from netmend.aws.paging import iter_items, page_size_for
    from netmend.aws.readers import describe_security_groups
    from netmend.aws.session import AwsOptions, make_clients

    clients = make_clients(AwsOptions(region=REGION, endpoint_url=endpoint))

    def whole() -> object:
        return list(
            iter_items(
                clients.call,
                clients.ec2,
                "describe_security_groups",
                "SecurityGroups",
                page_size=page_size_for("describe_security_groups"),
            )
        )

    def lean() -> object:
        return describe_security_groups(clients)

    def best(read: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            read()
            times.append(time.perf_counter() - started)
        return round(min(times), 3)

    return {"with_ip_permissions_s": best(whole), "without_ip_permissions_s": best(lean)}


def rule_parsing(count: int) -> dict[str, Any]:
    """Client CPU for one DescribeSecurityGroupRules answer of ``count`` rules (a
    synthetic body in AWS's XML shape): botocore's parsing, then netmend's (best of 2).
    The part of a collection no concurrency helps with: it holds the GIL."""
    from botocore.parsers import create_parser

    from netmend.aws.parse import parse_sg_rule
    from netmend.aws.readers import parse_items

    items = "".join(
        f"<item><securityGroupRuleId>sgr-{n:017x}</securityGroupRuleId>"
        f"<groupId>sg-{n // 10:017x}</groupId><groupOwnerId>123456789012</groupOwnerId>"
        f"<isEgress>false</isEgress><ipProtocol>tcp</ipProtocol>"
        f"<fromPort>{n % 60000}</fromPort><toPort>{n % 60000}</toPort>"
        f"<cidrIpv4>10.{n % 256}.0.0/16</cidrIpv4><tagSet/></item>"
        for n in range(count)
    )
    body = (
        '<DescribeSecurityGroupRulesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>r</requestId><securityGroupRuleSet>{items}</securityGroupRuleSet>"
        "</DescribeSecurityGroupRulesResponse>"
    ).encode()
    model = boto3.Session(region_name=REGION)._session.get_service_model("ec2")
    shape = model.operation_model("DescribeSecurityGroupRules").output_shape
    parser = create_parser("ec2")
    botocore_s, netmend_s = [], []
    for _ in range(2):
        started = time.perf_counter()
        parsed = parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)
        botocore_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        parse_items(parsed["SecurityGroupRules"], parse_sg_rule, "SecurityGroupRules", None)
        netmend_s.append(time.perf_counter() - started)
    return {
        "rules": count,
        "body_mb": round(len(body) / 1e6, 1),
        "botocore_parse_s": round(min(botocore_s), 2),
        "netmend_parse_s": round(min(netmend_s), 2),
    }


def group_parsing(count: int) -> dict[str, Any]:
    """Client CPU for one DescribeSecurityGroups answer of ``count`` groups of 10 rules
    (synthetic, AWS's XML shape), parsed whole against cut and parsed as the collector
    does (``strip_permissions`` included in the time; best of 2). moto's time is left
    out: it builds the whole answer either way."""
    from botocore.parsers import create_parser

    from netmend.aws.trimmed_answers import strip_permissions

    def permission(n: int, k: int) -> str:
        return (
            f"<item><ipProtocol>tcp</ipProtocol><fromPort>{1000 + k}</fromPort>"
            f"<toPort>{1000 + k}</toPort><groups/><ipRanges><item>"
            f"<cidrIp>10.{(n + k) % 256}.0.0/20</cidrIp></item></ipRanges>"
            "<ipv6Ranges/><prefixListIds/></item>"
        )

    items = "".join(
        f"<item><ownerId>123456789012</ownerId><groupId>sg-{n:017x}</groupId>"
        f"<groupName>g{n}</groupName><groupDescription>group {n}</groupDescription>"
        f"<vpcId>vpc-0123456789abcdef0</vpcId>"
        f"<ipPermissions>{''.join(permission(n, k) for k in range(9))}</ipPermissions>"
        f"<ipPermissionsEgress>{permission(n, 99)}</ipPermissionsEgress>"
        "<tagSet/></item>"
        for n in range(count)
    )
    body = (
        '<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>r</requestId><securityGroupInfo>{items}</securityGroupInfo>"
        "</DescribeSecurityGroupsResponse>"
    ).encode()
    model = boto3.Session(region_name=REGION)._session.get_service_model("ec2")
    shape = model.operation_model("DescribeSecurityGroups").output_shape
    parser = create_parser("ec2")
    whole_s, lean_s = [], []
    for _ in range(2):
        started = time.perf_counter()
        parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)
        whole_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        lean = strip_permissions(body)
        parser.parse({"body": lean, "headers": {}, "status_code": 200}, shape)
        lean_s.append(time.perf_counter() - started)
    return {
        "groups": count,
        "body_mb": round(len(body) / 1e6, 1),
        "body_without_permissions_mb": round(len(strip_permissions(body)) / 1e6, 1),
        "parsed_whole_s": round(min(whole_s), 2),
        "cut_and_parsed_s": round(min(lean_s), 2),
    }


def _content(inventory: Any) -> Any:
    return inventory.model_dump(mode="json", exclude={"collected_at"})


def bench_estate(endpoint: str, args: argparse.Namespace, groups: int) -> dict[str, Any]:
    enis = max(1, int(groups * args.enis_per_group))
    estate = build_estate(endpoint, groups, enis, args.subnets, args.build_workers)
    print(f"built {estate}", file=sys.stderr)
    runs = []
    reference = None
    same = True
    recorded: dict[tuple[str, str], Any] = {}
    pages: dict[str, int] = {}
    moto_latencies = {0.0} if args.no_moto_latency else {0.0, args.latency_ms}
    modes = [("moto", latency) for latency in sorted(moto_latencies)]
    if not args.no_replay:
        modes += [("replay", latency) for latency in sorted({0.0, args.latency_ms})]
        modes += [("replay, AWS pages", args.latency_ms)]
    for source, latency in modes:
        both = source != "moto" or not args.moto_sequential_only
        for concurrency in (1, args.concurrency) if both else (1,):
            seconds = []
            calls: Counter[str] = Counter()
            for _ in range(args.repeat if source == "moto" else args.replay_repeat):
                meter: dict[str, Any] = {"record": recorded}
                if source != "moto":
                    meter = {"replay": recorded}
                if source == "replay, AWS pages":
                    meter["pages"] = pages
                inventory, took, calls = collect(endpoint, concurrency, latency, **meter)
                seconds.append(round(took, 3))
                content = _content(inventory)
                if reference is None:
                    reference = content
                    pages.update(aws_pages(inventory))
                same = same and content == reference
            print(
                f"  {source}, {latency} ms, concurrency {concurrency}: {seconds}", file=sys.stderr
            )
            runs.append(
                {
                    "answers": source,
                    "latency_ms": latency,
                    "concurrency": concurrency,
                    "seconds": seconds,
                    "median_s": round(statistics.median(seconds), 3),
                    "calls": dict(sorted(calls.items())),
                    "total_calls": sum(calls.values()),
                }
            )
    by = {(r["answers"], r["latency_ms"], r["concurrency"]): r["median_s"] for r in runs}
    speedup = {
        f"{source} {latency:g}ms": round(
            by[(source, latency, 1)] / by[(source, latency, args.concurrency)], 2
        )
        for source, latency in modes
        if (source, latency, args.concurrency) in by
    }
    return estate | {
        "runs": runs,
        "speedup_sequential_over_concurrent": speedup,
        "same_inventory_every_run": same,
        "aws_pages": pages,
        "aws_pages_total": sum(pages.values()),
        "describe_security_groups": group_answer_parsing(endpoint, args.repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--parse-rules", type=int, default=10000)
    parser.add_argument("--parse-groups", type=int, default=5000)
    # The target estate has 2 ENIs a group; moto spends ~15 ms an instance in
    # DescribeInstances on a busy 2-core machine, so the default is a tenth of a group.
    parser.add_argument("--enis-per-group", type=float, default=0.1)
    parser.add_argument("--subnets", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--repeat", type=int, default=1, help="collections per moto mode")
    parser.add_argument("--replay-repeat", type=int, default=3, help="per replay mode")
    parser.add_argument(
        "--no-moto-latency",
        action="store_true",
        help="on moto's answers, only without added latency (replay covers latency)",
    )
    parser.add_argument(
        "--moto-sequential-only",
        action="store_true",
        help="on moto's answers, only the sequential collection (it records the replay)",
    )
    parser.add_argument(
        "--no-replay", action="store_true", help="skip the runs on moto's recorded answers"
    )
    # moto is not thread-safe for creates (CreateSecurityGroup iterates the VPC's groups).
    parser.add_argument("--build-workers", type=int, default=1)
    args = parser.parse_args()
    if args.subnets > 16:
        parser.error("--subnets: at most 16 (/20 subnets of one /16 VPC)")
    _fake_aws_environment()
    from botocore.config import Config

    from netmend.aws import session

    # moto needs over a minute for one answer of 50,000 rules on a busy machine: past
    # netmend's 60 s read timeout, every attempt would time out. AWS answers a page in
    # well under a second; only the benchmark waits longer.
    session._BOTOCORE_CONFIG = session._BOTOCORE_CONFIG.merge(Config(read_timeout=900))
    import logging

    import structlog

    # Warnings (a retried call) go to stderr: stdout is the JSON document alone.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    import moto

    parsing = rule_parsing(args.parse_rules) if args.parse_rules else None
    groups_parsing = group_parsing(args.parse_groups) if args.parse_groups else None
    estates = []
    if args.groups:
        with moto_server() as endpoint:
            estates = [bench_estate(endpoint, args, n) for n in args.groups]
    report = {
        "benchmark": "collect_inventory against moto (ThreadedMotoServer, child process)",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "botocore": botocore.__version__,
            "moto": moto.__version__,
        },
        "concurrency": args.concurrency,
        "latency_ms": args.latency_ms,
        "repeat": args.repeat,
        "client_parse_of_rules": parsing,
        "client_parse_of_groups": groups_parsing,
        "estates": estates,
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
