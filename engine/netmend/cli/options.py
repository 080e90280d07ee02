"""Options every `netmend` command shares, and how they become an estate to work on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netmend.model import Inventory
from netmend.render.console import OutputFormat

if TYPE_CHECKING:
    from netmend.aws.session import AwsOptions

__all__ = [
    "ConfigFile",
    "Destination",
    "EndpointUrl",
    "IcmpCode",
    "IcmpType",
    "InventoryFile",
    "OptionalDestination",
    "OptionalSource",
    "Output",
    "PlaybookDirs",
    "Port",
    "Profile",
    "Protocol",
    "Region",
    "Source",
    "TargetHealthOption",
    "Verbose",
    "aws_options",
    "load_estate",
    "playbook_dirs",
]

# The flow, as `diagnose` and `fix` take it.
Source = Annotated[str, typer.Option("--source", "-s", help="Instance id, ENI id or IP.")]
Destination = Annotated[
    str,
    typer.Option(
        "--destination",
        "-d",
        help="Instance id, ENI id, IP, or a load balancer (ARN, name or DNS name)[:PORT].",
    ),
]
# diagnose: either a flow (--source/--destination) or --target-health.
OptionalSource = Annotated[
    str | None, typer.Option("--source", "-s", help="Instance id, ENI id or IP.")
]
OptionalDestination = Annotated[
    str | None,
    typer.Option(
        "--destination",
        "-d",
        help="Instance id, ENI id, IP, or a load balancer (ARN, name or DNS name)[:PORT].",
    ),
]
TargetHealthOption = Annotated[
    str | None,
    typer.Option(
        "--target-health",
        help="A target group (ARN or name): explain why its targets are unhealthy.",
        show_default=False,
    ),
]
Port = Annotated[int | None, typer.Option("--port", "-p", help="Destination port (TCP and UDP).")]
Protocol = Annotated[
    str, typer.Option("--protocol", help="tcp, udp, icmp, icmpv6, -1 (all) or a number.")
]
IcmpType = Annotated[
    int | None, typer.Option("--icmp-type", help="ICMP type (default 8: echo request).")
]
IcmpCode = Annotated[int | None, typer.Option("--icmp-code", help="ICMP code (default: any).")]

Region = Annotated[
    str | None, typer.Option("--region", help="AWS region (default: AWS_REGION, the profile).")
]
Profile = Annotated[
    str | None, typer.Option("--profile", help="AWS profile name (default: AWS_PROFILE).")
]
EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="EC2 endpoint, e.g. a moto server (default: AWS_ENDPOINT_URL).",
    ),
]
Output = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="text for people, json for machines.")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log what netmend does (stderr).")]
InventoryFile = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        help="Read the estate from a file saved by `netmend inventory save` (no AWS calls).",
        dir_okay=False,
    ),
]


def aws_options(region: str | None, profile: str | None, endpoint_url: str | None) -> AwsOptions:
    from netmend.aws.session import AwsOptions  # boto3 loads only when AWS is needed

    return AwsOptions(region=region, profile=profile, endpoint_url=endpoint_url)


def load_estate(
    inventory_file: Path | None, region: str | None, profile: str | None, endpoint_url: str | None
) -> Inventory:
    if inventory_file is not None:
        from netmend.inventory_file import load_inventory

        return load_inventory(inventory_file)
    from netmend.aws.collector import collect_inventory
    from netmend.aws.session import make_clients
    from netmend.render.progress import collection_progress

    clients = make_clients(aws_options(region, profile, endpoint_url))
    with collection_progress() as progress:
        return collect_inventory(clients, progress=progress)


ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file (default: NETMEND_CONFIG, ./netmend.yaml, "
        "~/.config/netmend/config.yaml).",
        dir_okay=False,
    ),
]
PlaybookDirs = Annotated[
    list[Path] | None,
    typer.Option("--playbooks", help="Another folder of playbooks (repeatable)."),
]


def playbook_dirs(extra: list[Path] | None) -> list[Path]:
    from netmend.config import load_config

    return [*load_config().playbook_dirs, *(extra or [])]
