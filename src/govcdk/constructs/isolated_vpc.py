"""IsolatedVpc: a VPC with no path to or from the internet (SC-7, SC-7(5), AC-4, AU-12)."""

from __future__ import annotations

import ipaddress
import math
from typing import Sequence

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from govcdk import govcloud
from govcdk.config import MIN_LOG_RETENTION_DAYS, VALID_LOG_RETENTION_DAYS

DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "ssm", "ssmmessages", "ec2messages", "ec2", "sts", "kms", "logs", "monitoring",
)
"""Interface endpoints a private GPU node needs to be managed through SSM, fetch its keys and
write its logs (GOVCLOUD.md, "Isolated VPC for a private GPU cluster"). Issue 3 adds profiles."""

FLOW_LOG_FIELDS: tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status", "vpc-id",
    "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region",
    "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service",
    "flow-direction", "traffic-path",
)
"""Flow-log record fields: the default (version 2) fields followed by every version 3-5 field
(VPC User Guide, "Flow log records", "Available fields")."""



class IsolatedVpc(Construct):
    """A VPC with isolated subnets only, VPC endpoints, and flow logs.

    - Subnets: one ``PRIVATE_ISOLATED`` subnet per availability zone, sized by splitting
      ``cidr`` evenly (a /16 over 3 AZs gives /18 subnets). No internet gateway, NAT gateway or
      egress-only gateway, and no route to one. DNS support and hostnames on; no public IPv4
      on launch.
    - Endpoints: gateway endpoints for S3 and DynamoDB on every subnet's route table; interface
      endpoints (``interface_endpoints``) with private DNS, sharing one security group
      (:attr:`endpoint_security_group`) that allows TCP 443 from the VPC CIDR and nothing else.
    - Flow log: all traffic, the custom field list :data:`FLOW_LOG_FIELDS`, to a CloudWatch
      Logs log group ``/govcdk/<agency_code>/vpc-flow-logs`` encrypted with ``flow_log_key``
      and kept ``flow_log_retention_days`` (AU-11: at least 365, OMB M-21-31), retained on
      stack deletion.

    :param cidr: IPv4 VPC CIDR, ``/16`` to ``/24``.
    :param availability_zones: 2 or 3 AZ names of the stack's region (real names, e.g.
        ``govcloud.region("us-gov-west-1").availability_zones``).
    :param flow_log_key: customer-managed KMS key for the flow-log log group (the keyring's
        ``logs`` key).
    :param agency_code: names the log group.
    :param flow_log_retention_days: a CloudWatch Logs retention value >= 365; default 365.
    :param interface_endpoints: service names for interface endpoints; default
        :data:`DEFAULT_INTERFACE_ENDPOINTS`.
    :raises ValueError: malformed or too small CIDR, AZ count outside 2..3, AZs not in the
        stack's region, retention below 365 or not a CloudWatch Logs value.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cidr: str,
        availability_zones: Sequence[str],
        flow_log_key: kms.IKey,
        agency_code: str,
        flow_log_retention_days: int = 365,
        interface_endpoints: Sequence[str] = DEFAULT_INTERFACE_ENDPOINTS,
    ) -> None:
        super().__init__(scope, id)
        try:
            net = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as exc:
            raise ValueError(f"cidr {cidr!r} is not an IPv4 network ({exc}); allowed: e.g. 10.40.0.0/16") from None
        if not 16 <= net.prefixlen <= 24:
            raise ValueError(f"cidr {cidr!r}: prefix length must be /16 to /24")
        azs = list(availability_zones)
        if not 2 <= len(azs) <= 3:
            raise ValueError(f"availability_zones: got {len(azs)}; allowed 2 or 3 availability zones")
        region = Stack.of(self).region
        if govcloud.is_govcloud(region):
            allowed = govcloud.region(region).availability_zones
            bad = [a for a in azs if a not in allowed]
            if bad:
                raise ValueError(f"availability_zones {bad} are not in {region}; allowed: {', '.join(allowed)}")
        if flow_log_retention_days not in VALID_LOG_RETENTION_DAYS or flow_log_retention_days < MIN_LOG_RETENTION_DAYS:
            allowed_days = ", ".join(str(d) for d in VALID_LOG_RETENTION_DAYS if d >= MIN_LOG_RETENTION_DAYS)
            raise ValueError(
                f"flow_log_retention_days={flow_log_retention_days}: allowed {allowed_days} "
                "(AU-11: at least 365 days, OMB M-21-31)")
        cidr_mask = net.prefixlen + math.ceil(math.log2(len(azs)))

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=azs,
            nat_gateways=0,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            # Stripping the default security group's rules takes a Lambda-backed custom
            # resource; it comes with issue 3 together with an offline deploy test for it.
            restrict_default_security_group=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                                        cidr_mask=cidr_mask),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
        )

        self.endpoint_security_group = ec2.SecurityGroup(
            self, "EndpointSecurityGroup", vpc=self.vpc, allow_all_outbound=False,
            description="VPC interface endpoints: TCP 443 from inside the VPC only",
        )
        self.endpoint_security_group.add_ingress_rule(
            ec2.Peer.ipv4(self.vpc.vpc_cidr_block), ec2.Port.tcp(443), "HTTPS from the VPC")
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        for name in interface_endpoints:
            ep = self.vpc.add_interface_endpoint(
                _construct_id(name),
                service=ec2.InterfaceVpcEndpointService(f"com.amazonaws.{region}.{name}", 443),
                private_dns_enabled=True,
                security_groups=[self.endpoint_security_group],
                open=False,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            )
            self.interface_endpoints[name] = ep

        self.flow_log_group = logs.LogGroup(
            self, "FlowLogGroup",
            log_group_name=f"/govcdk/{agency_code}/vpc-flow-logs",
            encryption_key=flow_log_key,
            retention=logs.RetentionDays.INFINITE,
            removal_policy=RemovalPolicy.RETAIN,
        )
        cfn_group = self.flow_log_group.node.default_child
        assert isinstance(cfn_group, logs.CfnLogGroup)
        cfn_group.retention_in_days = flow_log_retention_days
        role = iam.Role(self, "FlowLogRole",
                        assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
                        description="Delivers VPC flow logs to CloudWatch Logs")
        self.flow_log = ec2.FlowLog(
            self, "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group, role),
            traffic_type=ec2.FlowLogTrafficType.ALL,
            log_format=[ec2.LogFormat.custom(f"${{{f}}}") for f in FLOW_LOG_FIELDS],
        )

    @property
    def isolated_subnets(self) -> list[ec2.ISubnet]:
        return list(self.vpc.isolated_subnets)


def _construct_id(service: str) -> str:
    return "".join(p.capitalize() for p in service.replace(".", "-").split("-")) + "Endpoint"
