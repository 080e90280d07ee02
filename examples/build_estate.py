"""Build one of the runbook's broken estates (or all of them) on an EC2 endpoint.

    moto_server -H 127.0.0.1 -p 5000 &
    python examples/build_estate.py --endpoint-url http://127.0.0.1:5000 wrong-port
    python examples/build_estate.py --endpoint-url http://127.0.0.1:5000 all
    python examples/build_estate.py --endpoint-url http://127.0.0.1:5000 all --intents intents.yaml

It prints each estate's ids and the netmend commands that diagnose and fix its flow;
``--intents FILE`` also writes an intents file for ``netmend verify --intents FILE``.
Against real AWS (no endpoint) it launches t3.micro instances that cost money, so it
refuses unless --real-aws is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import boto3

from netmend.demo.estates import (
    ESTATE_BUILDERS,
    HEALTHY,
    BuiltEstate,
    build_all,
    build_estate,
    fix_by_hand,
)
from netmend.verify.intents import Intent, dump_intents


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("estate", choices=[*ESTATE_BUILDERS, "all"], help="root cause, or all")
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="EC2 endpoint, e.g. a moto server (default: $AWS_ENDPOINT_URL)",
    )
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument(
        "--real-aws",
        action="store_true",
        help="allow building on real AWS when no endpoint is given",
    )
    parser.add_argument(
        "--fix-by-hand",
        action="store_true",
        help="then apply the runbook's own fix (to compare with netmend fix)",
    )
    parser.add_argument("--json", action="store_true", help="print the estates as JSON")
    parser.add_argument(
        "--intents",
        metavar="FILE",
        help="also write an intents file for these estates (netmend verify)",
    )
    return parser.parse_args(argv)


def _fake_credentials(args: argparse.Namespace) -> dict[str, str]:
    """moto accepts any credentials: make some up when talking to an endpoint without any."""
    if args.endpoint_url is None or os.environ.get("AWS_ACCESS_KEY_ID"):
        return {}
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _client(args: argparse.Namespace) -> Any:
    fake = _fake_credentials(args)
    return boto3.client(
        "ec2",
        region_name=args.region,
        endpoint_url=args.endpoint_url,
        aws_access_key_id=fake.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=fake.get("AWS_SECRET_ACCESS_KEY"),
    )


def _environment(args: argparse.Namespace) -> str:
    """The export line that points netmend at the same endpoint, region and credentials."""
    env = {"AWS_DEFAULT_REGION": args.region, **_fake_credentials(args)}
    if args.endpoint_url:
        env["AWS_ENDPOINT_URL"] = args.endpoint_url
    return "export " + " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())


def _report(estate: BuiltEstate) -> None:
    print(f"== {estate.root_cause}: {estate.name}")
    print(f"   {estate.description}")
    width = max(len(key) for key in estate.ids)
    for key, value in sorted(estate.ids.items()):
        print(f"   {key:<{width}}  {value}")
    blocked = estate.expected_component or "nothing (the flow works)"
    print(f"   blocked at: {blocked}")
    print(f"   {estate.command('diagnose')}")
    if not estate.reachable:
        print(f"   {estate.command('fix')}")
        print(f"   {estate.command('fix')} --apply --yes")
    print()


def estate_intents(estates: list[BuiltEstate]) -> list[Intent]:
    """Each estate's flow must be allowed (so the broken ones are violated until fixed);
    in the healthy estate, ssh from the web tier to the API must be denied (it is)."""
    intents = [
        Intent(
            name=f"{e.root_cause}: {e.name} client reaches its server",
            source=e.source,
            destination=e.destination,
            protocol=e.protocol,
            port=e.port,
            icmp_type=e.icmp_type,
            expect="allowed",
        )
        for e in estates
    ]
    intents += [
        Intent(
            name=f"{e.root_cause}: no ssh from the web tier to the API",
            source=e.source,
            destination=e.destination,
            protocol="tcp",
            port=22,
            expect="denied",
        )
        for e in estates
        if e.root_cause == HEALTHY
    ]
    return intents


def _write_intents(path: str, estates: list[BuiltEstate]) -> None:
    header = (
        "Intents for the demo estates, written by examples/build_estate.py.\n"
        "netmend verify --intents FILE   (exit 3 while any intent is violated)"
    )
    Path(path).write_text(dump_intents(estate_intents(estates), header=header), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.endpoint_url is None and not args.real_aws:
        print(
            "no --endpoint-url (or AWS_ENDPOINT_URL): refusing to launch instances on real "
            "AWS without --real-aws",
            file=sys.stderr,
        )
        return 2
    ec2 = _client(args)
    estates = build_all(ec2) if args.estate == "all" else [build_estate(ec2, args.estate)]
    if args.fix_by_hand:
        for estate in estates:
            fix_by_hand(ec2, estate)
    if args.intents:
        _write_intents(args.intents, estates)
    if args.json:
        print(json.dumps([estate.model_dump(mode="json") for estate in estates], indent=2))
        return 0
    print(_environment(args), end="\n\n")
    for estate in estates:
        _report(estate)
    if args.fix_by_hand:
        print("(the runbook's fixes were applied by hand: diagnose should now say reachable)")
    if args.intents:
        print(f"intents written to {args.intents}: netmend verify --intents {args.intents}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
