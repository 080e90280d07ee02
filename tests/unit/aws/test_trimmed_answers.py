"""DescribeSecurityGroups answers without their repeated rules, parsed by botocore's own
EC2 parser: the shape of AWS's example answer (EC2 API Reference, DescribeSecurityGroups,
"Example 1": a group with a group-pair ingress and the default egress, plus a self-closed
empty ipPermissions as AWS writes for a group without ingress)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.parsers import create_parser

from netmend.aws.trimmed_answers import strip_permissions

ANSWER = b"""<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
   <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
   <securityGroupInfo>
      <item>
         <ownerId>123456789012</ownerId>
         <groupId>sg-1a2b3c4d</groupId>
         <groupName>WebServers</groupName>
         <groupDescription>Web Servers</groupDescription>
         <vpcId>vpc-614cc409</vpcId>
         <ipPermissions>
            <item>
               <ipProtocol>-1</ipProtocol>
               <groups>
                  <item><userId>123456789012</userId><groupId>sg-af8661c0</groupId></item>
               </groups>
               <ipRanges/>
               <ipv6Ranges/>
               <prefixListIds/>
            </item>
         </ipPermissions>
         <ipPermissionsEgress>
            <item>
               <ipProtocol>-1</ipProtocol>
               <groups/>
               <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges>
               <ipv6Ranges/>
               <prefixListIds/>
            </item>
         </ipPermissionsEgress>
         <tagSet><item><key>Name</key><value>web</value></item></tagSet>
      </item>
      <item>
         <ownerId>123456789012</ownerId>
         <groupId>sg-2b3c4d5e</groupId>
         <groupName>Empty</groupName>
         <groupDescription>no ingress &lt;ipPermissions&gt; here</groupDescription>
         <vpcId>vpc-614cc409</vpcId>
         <ipPermissions/>
         <ipPermissionsEgress/>
      </item>
   </securityGroupInfo>
</DescribeSecurityGroupsResponse>"""


def _parse(body: bytes) -> list[dict[str, Any]]:
    model = boto3.Session(region_name="eu-west-1")._session.get_service_model("ec2")
    shape = model.operation_model("DescribeSecurityGroups").output_shape
    parsed = create_parser("ec2").parse({"body": body, "headers": {}, "status_code": 200}, shape)
    groups: list[dict[str, Any]] = parsed["SecurityGroups"]
    return groups


def test_stripped_answer_keeps_everything_but_the_permissions() -> None:
    """Parsed whole, the answer carries both permission lists; stripped, neither, and
    every other field (ids, names, a description that mentions the element's name,
    tags) parses exactly as before."""
    whole = _parse(ANSWER)
    lean = _parse(strip_permissions(ANSWER))
    assert whole[0]["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == "sg-af8661c0"
    assert whole[0]["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    assert all("IpPermissions" not in g and "IpPermissionsEgress" not in g for g in lean)
    dropped = ("IpPermissions", "IpPermissionsEgress")
    assert lean == [{k: v for k, v in g.items() if k not in dropped} for g in whole]
    assert lean[1]["Description"] == "no ingress <ipPermissions> here"
