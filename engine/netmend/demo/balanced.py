"""The "unhealthy targets" estate: an ALB whose targets' group does not admit it.

The runbook's first symptom, "Application Load Balancer targets marked as unhealthy
despite the application running correctly on the instance": shop-web reaches shop-alb
on HTTP 80 (the ALB's group admits the web tier), the ALB forwards to shop-app-1 on 8080
and health-checks it on 8081, and shop-app-sg admits only SSH from the VPC, so neither
the traffic nor the health checks get in. The fix (``lb-target-blocked``) admits the
ALB's group on 8080 and 8081 on shop-app-sg.

Built with an EC2 and an ELBv2 client (moto or real AWS), in VPC 10.10.0.0/16 beside the
runbook's estates (10.1-10.9).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netmend.demo.built import BuiltEstate
from netmend.demo.scaffold import Scaffold, permission

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

__all__ = ["LB_TARGET_BLOCKED", "build_unhealthy_targets"]

LB_TARGET_BLOCKED = "lb-target-blocked"
_OCTET = 10
_TRAFFIC_PORT = 8080
_HEALTH_PORT = 8081


def _zones(ec2: EC2Client) -> tuple[str, str]:
    names = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])
    return names[0], names[1 % len(names)]


def build_unhealthy_targets(ec2: EC2Client, elbv2: ElasticLoadBalancingv2Client) -> BuiltEstate:
    """ALB shop-alb (HTTP 80) -> shop-app-1 on 8080, health check on 8081, not admitted."""
    sc = Scaffold(ec2, LB_TARGET_BLOCKED)
    n = _OCTET
    cidr = f"10.{n}.0.0/16"
    vpc = sc.vpc("shop-vpc", cidr)
    first, second = _zones(ec2)
    ids: dict[str, str] = {"vpc": vpc, "vpc_cidr": cidr}
    for key, third, zone in (
        ("client", 2, first),
        ("server", 1, first),
        ("lb_a", 10, first),
        ("lb_b", 11, second),
    ):
        ids[f"{key}_cidr"] = f"10.{n}.{third}.0/24"
        ids[f"{key}_subnet"] = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=ids[f"{key}_cidr"],
            AvailabilityZone=zone,
            TagSpecifications=sc._tags("subnet", f"shop-{key.replace('_', '-')}"),
        )["Subnet"]["SubnetId"]
    subnets = [ids[f"{k}_subnet"] for k in ("client", "server", "lb_a", "lb_b")]
    ids["route_table"] = sc.route_table(vpc, "shop-private-rt", subnets)
    ids["client_sg"] = sc.group(vpc, "shop-web-sg", "Shop web tier")
    ids["lb_sg"] = sc.group(vpc, "shop-alb-sg", "Shop internal ALB")
    ids["server_sg"] = sc.group(vpc, "shop-app-sg", "Shop app servers (8080, health 8081)")
    sc.ingress(
        ids["lb_sg"], permission("tcp", 80, group_id=ids["client_sg"], description="web tier")
    )
    sc.ingress(ids["server_sg"], permission("tcp", 22, cidr=cidr, description="ssh from the VPC"))
    ids["client_instance"], ids["client_eni"] = sc.instance(
        "shop-web-1", ids["client_subnet"], [ids["client_sg"]], f"10.{n}.2.100"
    )
    ids["server_instance"], ids["server_eni"] = sc.instance(
        "shop-app-1", ids["server_subnet"], [ids["server_sg"]], f"10.{n}.1.50"
    )
    balancer = elbv2.create_load_balancer(
        Name="shop-alb",
        Subnets=[ids["lb_a_subnet"], ids["lb_b_subnet"]],
        SecurityGroups=[ids["lb_sg"]],
        Scheme="internal",
        Type="application",
    )["LoadBalancers"][0]
    ids["load_balancer"] = balancer["LoadBalancerArn"]
    group = elbv2.create_target_group(
        Name="shop-app-tg",
        Protocol="HTTP",
        Port=_TRAFFIC_PORT,
        VpcId=vpc,
        TargetType="instance",
        HealthCheckProtocol="HTTP",
        HealthCheckPort=str(_HEALTH_PORT),
        HealthCheckPath="/health",
    )["TargetGroups"][0]
    ids["target_group"] = group["TargetGroupArn"]
    elbv2.register_targets(
        TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": ids["server_instance"]}]
    )
    ids["listener"] = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )["Listeners"][0]["ListenerArn"]
    return BuiltEstate(
        name="shop-alb-unhealthy-targets",
        root_cause=LB_TARGET_BLOCKED,
        vpc_id=vpc,
        source=ids["client_instance"],
        destination="shop-alb",
        protocol="tcp",
        port=80,
        expected_component=ids["server_sg"],
        description=f"shop-alb forwards HTTP 80 to shop-app-1 on tcp/{_TRAFFIC_PORT} and "
        f"health-checks tcp/{_HEALTH_PORT}; shop-app-sg admits only ssh from {cidr}",
        ids=ids,
    )
