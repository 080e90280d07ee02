"""Recorded-shape ELBv2 answers for what moto's elbv2 does not produce.

moto has no group-less Network Load Balancer ENIs, no LoadBalancerAddresses, no health
reasons for a registered target and no preserve_client_ip attribute. These are the dicts
boto3 returns, validated by botocore's Stubber against its service model when replayed.
Where they come from:

- NETWORK_LOAD_BALANCER: the shape of DescribeLoadBalancers for a network load balancer
  in the AWS CLI's examples (aws/aws-cli awscli/examples/elbv2/describe-load-balancers.rst,
  "Type": "network"), with AvailabilityZones[].LoadBalancerAddresses as an internal NLB
  returns them (Elastic Load Balancing API Reference, LoadBalancerAddress) and no
  SecurityGroups key: an NLB created without groups has none.
- TCP_LISTENER: DescribeListeners, aws-cli awscli/examples/elbv2/describe-listeners.rst
  (a forward DefaultAction with TargetGroupArn and ForwardConfig, as the API returns both).
- TARGET_GROUP: DescribeTargetGroups, aws-cli awscli/examples/elbv2/describe-target-groups.rst
  (TCP, HealthCheckPort "traffic-port").
- TARGET_HEALTH_TIMEOUT: DescribeTargetHealth, aws-cli
  awscli/examples/elbv2/describe-target-health.rst (the unhealthy example's keys:
  HealthCheckPort, Target, TargetHealth with State/Reason/Description), reason
  Target.Timeout with AWS's description "Request timed out".
- preserve_client_ip(): DescribeTargetGroupAttributes, key preserve_client_ip.enabled
  (Elastic Load Balancing guide, "Target group attributes" for Network Load Balancers).

Ids, names and addresses are this test estate's (vpc-1, 10.0.0.0/16).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "NETWORK_LOAD_BALANCER",
    "NLB_ARN",
    "NLB_ENI_DESCRIPTION",
    "TARGET_GROUP",
    "TARGET_GROUP_ARN",
    "TARGET_HEALTH_TIMEOUT",
    "TCP_LISTENER",
    "preserve_client_ip",
]

NLB_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/api-nlb/5d1b75f4f1cee11e"
)
NLB_ENI_DESCRIPTION = "ELB net/api-nlb/5d1b75f4f1cee11e"
TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api-tg/73e2d6bc24d8a067"
)

NETWORK_LOAD_BALANCER: dict[str, Any] = {
    "LoadBalancerArn": NLB_ARN,
    "DNSName": "api-nlb-5d1b75f4f1cee11e.elb.eu-west-1.amazonaws.com",
    "CanonicalHostedZoneId": "Z2IFOLAFXWLO4F",
    "LoadBalancerName": "api-nlb",
    "Scheme": "internal",
    "VpcId": "vpc-1",
    "State": {"Code": "active"},
    "Type": "network",
    "AvailabilityZones": [
        {
            "ZoneName": "eu-west-1a",
            "SubnetId": "subnet-lb-a",
            "LoadBalancerAddresses": [{"PrivateIPv4Address": "10.0.10.25"}],
        },
        {
            "ZoneName": "eu-west-1b",
            "SubnetId": "subnet-lb-b",
            "LoadBalancerAddresses": [{"PrivateIPv4Address": "10.0.11.25"}],
        },
    ],
    "IpAddressType": "ipv4",
}

TCP_LISTENER: dict[str, Any] = {
    "ListenerArn": (
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/api-nlb/"
        "5d1b75f4f1cee11e/c1b4d6e9a3f20b77"
    ),
    "LoadBalancerArn": NLB_ARN,
    "Port": 443,
    "Protocol": "TCP",
    "DefaultActions": [
        {
            "Type": "forward",
            "TargetGroupArn": TARGET_GROUP_ARN,
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": TARGET_GROUP_ARN, "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            },
        }
    ],
}

TARGET_GROUP: dict[str, Any] = {
    "TargetGroupArn": TARGET_GROUP_ARN,
    "TargetGroupName": "api-tg",
    "Protocol": "TCP",
    "Port": 8080,
    "VpcId": "vpc-1",
    "HealthCheckProtocol": "TCP",
    "HealthCheckPort": "traffic-port",
    "HealthCheckEnabled": True,
    "HealthCheckIntervalSeconds": 30,
    "HealthCheckTimeoutSeconds": 10,
    "HealthyThresholdCount": 5,
    "UnhealthyThresholdCount": 2,
    "LoadBalancerArns": [NLB_ARN],
    "TargetType": "instance",
    "IpAddressType": "ipv4",
}

TARGET_HEALTH_TIMEOUT: dict[str, Any] = {
    "TargetHealthDescriptions": [
        {
            "Target": {"Id": "i-app", "Port": 8080, "AvailabilityZone": "eu-west-1a"},
            "HealthCheckPort": "8080",
            "TargetHealth": {
                "State": "unhealthy",
                "Reason": "Target.Timeout",
                "Description": "Request timed out",
            },
        }
    ]
}


def preserve_client_ip(enabled: bool) -> dict[str, Any]:
    return {
        "Attributes": [
            {"Key": "deregistration_delay.timeout_seconds", "Value": "300"},
            {"Key": "preserve_client_ip.enabled", "Value": "true" if enabled else "false"},
            {"Key": "proxy_protocol_v2.enabled", "Value": "false"},
        ]
    }
