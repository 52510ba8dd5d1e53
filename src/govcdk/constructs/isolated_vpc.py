"""IsolatedVpc: a VPC with no path to or from the internet (SC-7, SC-7(5), AC-4, AU-12)."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Mapping, Optional, Sequence

from aws_cdk import Annotations, Aspects, Aws, CfnResource, IAspect, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_route53resolver as route53resolver
import jsii
from constructs import Construct, IConstruct

from govcdk import govcloud
from govcdk.acknowledge import acknowledge, acknowledgements
from govcdk.policies.suppressions import TOOL_CHECKOV
from govcdk.config import AGENCY_CODE_RE, MIN_LOG_RETENTION_DAYS, VALID_LOG_RETENTION_DAYS
from govcdk.constructs.endpoints import resolve_endpoints


AWS_OWNED_BUCKETS: tuple[str, ...] = (
    "amazonlinux-2-repos-{region}/*", "al2023-repos-{region}-*/*",
    "aws-ssm-{region}/*", "amazon-ssm-{region}/*", "amazon-ssm-packages-{region}/*",
    "{region}-birdwatcher-prod/*", "aws-ssm-document-attachments-{region}/*",
    "patch-baseline-snapshot-{region}/*",
)
"""AWS-owned S3 objects private Linux nodes read through the S3 gateway endpoint: the Amazon
Linux 2 / AL2023 package repositories (Amazon Linux 2023 User Guide, "Managing packages ... in
a private subnet") and what SSM Agent fetches (Systems Manager User Guide, "Create a VPC
endpoint", the S3 bucket list). ``{region}`` is the stack's region."""

ECR_LAYER_BUCKET = "prod-{region}-starport-layer-bucket/*"
"""Image layers behind ECR (ECR User Guide, "Interface VPC endpoints", S3 gateway endpoint
policy); allowed only when the ``ecr.dkr`` endpoint is created."""

RESTRICT_DEFAULT_SG_HANDLER_CHECKOV: Mapping[str, str] = {
    "CKV_AWS_115": (
        "CDK's Custom::VpcRestrictDefaultSG handler is invoked by CloudFormation, through the "
        "custom resource's service token, once per create, update or delete of the VPC; a "
        "reserved-concurrency limit would bound no real load and would take capacity from the "
        "account's unreserved pool (Lambda Developer Guide, 'Configuring reserved concurrency')"),
    "CKV_AWS_116": (
        "CloudFormation invokes the custom-resource handler and waits for its answer: a failed "
        "invocation fails the stack operation and rolls it back, where the failure is seen in "
        "the stack events (CM-3); a dead-letter queue would keep a CloudFormation request that "
        "nobody replays"),
    "CKV_AWS_117": (
        "the handler must reach the EC2 API and answer CloudFormation through a pre-signed URL "
        "of an AWS-owned S3 bucket; the isolated VPC has no internet path and its S3 gateway "
        "endpoint admits only the account's buckets and the AWS package and SSM buckets, so "
        "inside it the deployment would hang. It holds no data, and its role may change only "
        "the rules of this VPC's default security group (and write its own logs)"),
}
"""checkov checks acknowledged on CDK's ``Custom::VpcRestrictDefaultSG`` provider function
(``Metadata.checkov.skip``), check id -> reason. CDK owns the function's code and properties;
it empties the default security group at deploy time (``restrict_default_security_group``)."""

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
      on launch; no IPv6. The default security group keeps no rules: CDK's
      ``Custom::VpcRestrictDefaultSG`` (a Lambda function deployed from a CDK file asset, so
      the target account must be bootstrapped) revokes them at deploy time.
    - Network ACL (:attr:`network_acl`) on every subnet: rule 100 allows all traffic from and to
      the VPC CIDR, in and out; everything else meets the implicit deny.
    - Endpoints: gateway endpoints for S3 and DynamoDB on every subnet's route table; interface
      endpoints from ``endpoint_profile`` plus ``extra_endpoints`` (:mod:`.endpoints`) with
      private DNS, sharing one security group (:attr:`endpoint_security_group`) that allows
      TCP 443 from the VPC CIDR and nothing else. Endpoint policies: every endpoint allows only
      principals of the stack's account (``aws:PrincipalAccount``); the S3 gateway endpoint
      also requires a bucket of the account (``aws:ResourceAccount``) except for the AWS-owned
      buckets in :data:`AWS_OWNED_BUCKETS` (read-only, partition-aware ARNs).
    - Flow log: all traffic, the custom field list :data:`FLOW_LOG_FIELDS`, to a CloudWatch
      Logs log group ``/govcdk/<agency_code>/vpc-flow-logs`` encrypted with ``flow_log_key``
      and kept ``flow_log_retention_days`` (AU-11: at least 365, OMB M-21-31), retained on
      stack deletion. The delivery role (:attr:`flow_log_role`, confused-deputy conditions on
      its trust policy) holds one customer managed policy (:attr:`flow_log_policy`: write to
      that log group only) and no inline policy (AC-6, CM-5(1)).
    - Acknowledgements: CDK's ``Custom::VpcRestrictDefaultSG`` function carries checkov skips
      for the Lambda checks that cannot hold for it, each with its reason
      (:data:`RESTRICT_DEFAULT_SG_HANDLER_CHECKOV`, ``Metadata.checkov.skip``).

    :param cidr: ``str``, required. IPv4 VPC CIDR, ``/16`` to ``/24``.
    :param availability_zones: ``Sequence[str]``, required. 2 or 3 AZ names of the stack's
        region (real names, e.g. ``govcloud.region("us-gov-west-1").availability_zones``).
    :param flow_log_key: ``kms.IKey``, required. Customer-managed KMS key for the flow-log log
        group (the keyring's ``logs`` key).
    :param agency_code: ``str``, required. Names the log group.
    :param flow_log_retention_days: ``int``, default 365. A CloudWatch Logs retention value
        >= 365 (AU-11, OMB M-21-31).
    :param endpoint_profile: ``str``, default ``"minimal"``. One of
        :data:`.endpoints.PROFILES` (``minimal``, ``gpu-training``; GOVCLOUD.md).
    :param extra_endpoints: ``Sequence[str]``, default none. Further interface endpoint
        services, from :data:`.endpoints.KNOWN_SERVICES`.
    :param impact_level: ``str`` (``low``, ``moderate``, ``high``), default ``"high"``. Sets the
        default of ``fips``.
    :param fips: ``bool | None``, default ``None`` = ``True`` at impact level high, else
        ``False``. Use FIPS endpoint services where one exists (:data:`.endpoints.FIPS_SERVICES`).
    :param allow_commercial: ``bool``, default ``False``. Allow a stack region outside the
        GovCloud (US) Regions (leaves a warning annotation).
    :param resolver_query_logging: ``bool``, default ``True``. Log the VPC's DNS queries
        (Route 53 Resolver query logging, AU-12, SI-4) to :attr:`query_log_group`,
        ``/govcdk/<agency_code>/resolver-query-logs``, encrypted with ``flow_log_key`` and kept
        ``flow_log_retention_days``, retained on stack deletion.
    :param flow_log_bucket: ``s3.IBucket | None``, default ``None``. Also deliver the flow log
        (all traffic, the same fields) to this log-archive bucket under ``vpc-flow-logs/``,
        for the 30-month archive of OMB M-21-31 (AU-11). The bucket's own policy and Object
        Lock retention are the log archive's concern (``AuditLogging``, issue 6); a bucket
        of the same stack gets CDK's delivery policy for ``delivery.logs.amazonaws.com``.
    :param ipv6: ``bool``, default ``False``. Create mode only: add an Amazon-provided IPv6
        block and give each isolated subnet a /64 (dual stack). Still no egress-only internet
        gateway and no route to one, and no address is assigned on launch.
    :param existing_vpc_id: ``str | None``, default ``None`` (create mode). Adopt mode: the id
        of an existing VPC (``vpc-`` and 8 or 17 hex digits) to use instead of creating one,
        for landing zones that deny workload roles creating VPCs, subnets, routes and
        endpoints. Nothing network-level is created (no subnets, routes, NACL, endpoints or
        security groups, default security group untouched); flow log and query logging are
        still created. ``cidr`` must then be left out.
    :param existing_subnet_ids: ``Sequence[str]``, adopt mode only, required there: one
        isolated subnet id per entry of ``availability_zones``, in the same order.
    :param existing_endpoint_ids: ``Mapping[str, str]``, adopt mode only, required there:
        endpoint id for ``s3``, ``dynamodb`` and exactly each interface service of the profile
        (after ``extra_endpoints`` and FIPS substitution, e.g. ``kms-fips``).
    :param existing_endpoint_security_group_id: ``str``, adopt mode only, required there: the
        security group of the interface endpoints (not modified).
    :raises ValueError: malformed or too small CIDR, AZ count outside 2..3, AZs not in the
        stack's region, retention below 365 or not a CloudWatch Logs value, a region outside
        GovCloud without ``allow_commercial=True``, unknown impact level, endpoint profile or
        service, create-mode and adopt-mode properties mixed, adopt-mode ids malformed or
        incomplete.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cidr: Optional[str] = None,
        availability_zones: Sequence[str],
        flow_log_key: kms.IKey,
        agency_code: str,
        flow_log_retention_days: int = 365,
        endpoint_profile: str = "minimal",
        extra_endpoints: Sequence[str] = (),
        impact_level: str = "high",
        fips: Optional[bool] = None,
        allow_commercial: bool = False,
        resolver_query_logging: bool = True,
        flow_log_bucket: Optional[s3.IBucket] = None,
        ipv6: bool = False,
        existing_vpc_id: Optional[str] = None,
        existing_subnet_ids: Sequence[str] = (),
        existing_endpoint_ids: Optional[Mapping[str, str]] = None,
        existing_endpoint_security_group_id: Optional[str] = None,
    ) -> None:
        super().__init__(scope, id)
        adopt = existing_vpc_id is not None
        adopt_props = {"existing_subnet_ids": bool(existing_subnet_ids), "existing_endpoint_ids": bool(existing_endpoint_ids),
                       "existing_endpoint_security_group_id": existing_endpoint_security_group_id is not None}
        if adopt and ipv6:
            raise ValueError("ipv6 is a create-mode property; an adopted VPC keeps its own addressing")
        if adopt and cidr is not None:
            raise ValueError("cidr is a create-mode property; with existing_vpc_id (adopt mode) allowed are "
                             "existing_subnet_ids, existing_endpoint_ids, existing_endpoint_security_group_id")
        if not adopt and any(adopt_props.values()):
            given = ", ".join(k for k, v in adopt_props.items() if v)
            raise ValueError(f"{given}: adopt-mode properties need existing_vpc_id; to create a VPC give cidr only")
        if not (isinstance(agency_code, str) and AGENCY_CODE_RE.fullmatch(agency_code)):
            raise ValueError(f"agency_code {agency_code!r}: allowed are 1..12 characters a-z and 0-9, "
                             "starting with a letter")
        azs = [availability_zones] if isinstance(availability_zones, str) else list(availability_zones)
        if not 2 <= len(azs) <= 3:
            raise ValueError(f"availability_zones: got {len(azs)}; allowed 2 or 3 availability zones")
        if len(set(azs)) != len(azs):
            raise ValueError(f"availability_zones {azs}: each availability zone once (the subnets "
                             "are spread over them for redundancy)")
        net = None
        if not adopt:
            if cidr is None:
                raise ValueError("cidr is required to create a VPC (e.g. 10.40.0.0/16), "
                                 "or give existing_vpc_id to adopt one")
            try:
                net = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"cidr {cidr!r} is not an IPv4 network ({exc}); allowed: e.g. 10.40.0.0/16") from None
            if not 16 <= net.prefixlen <= 24:
                raise ValueError(f"cidr {cidr!r}: prefix length must be /16 to /24")
            if not any(net.subnet_of(block) for block in RFC1918):
                raise ValueError(f"cidr {cidr!r}: must lie in a private (RFC 1918) range: "
                                 "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
        region = Stack.of(self).region
        if govcloud.is_govcloud(region):
            allowed = govcloud.region(region).availability_zones
            bad = [a for a in azs if a not in allowed]
            if bad:
                raise ValueError(f"availability_zones {bad} are not in {region}; allowed: {', '.join(allowed)}")
        else:
            govcloud.check_stack_region(region, allow_commercial=allow_commercial)
            Annotations.of(self).add_warning_v2(
                "govcdk:isolated-vpc-commercial",
                f"IsolatedVpc in {region}, outside the GovCloud (US) Regions (allow_commercial=True)")
        if flow_log_retention_days not in VALID_LOG_RETENTION_DAYS or flow_log_retention_days < MIN_LOG_RETENTION_DAYS:
            allowed_days = ", ".join(str(d) for d in VALID_LOG_RETENTION_DAYS if d >= MIN_LOG_RETENTION_DAYS)
            raise ValueError(
                f"flow_log_retention_days={flow_log_retention_days}: allowed {allowed_days} "
                "(AU-11: at least 365 days, OMB M-21-31)")
        level = getattr(impact_level, "value", impact_level)
        if level not in ("low", "moderate", "high"):
            raise ValueError(f"impact_level {impact_level!r}: allowed low, moderate, high")
        if fips is not None and not isinstance(fips, bool):
            raise ValueError(f"fips={fips!r}: allowed True, False or None (None: on at impact level high)")
        use_fips = (level == "high") if fips is None else fips
        if level == "high" and fips is False:
            Annotations.of(self).add_warning_v2(
                "govcdk:isolated-vpc-no-fips",
                "fips=False at impact level high: endpoints without FIPS 140-3 validated TLS (SC-13)")
        services = resolve_endpoints(endpoint_profile, extra_endpoints, fips=use_fips)
        self.adopted = adopt
        """True when the construct adopted an existing VPC (nothing network-level created)."""
        self.network_acl: Optional[ec2.NetworkAcl] = None
        """The VPC-only network ACL (create mode); ``None`` in adopt mode."""
        self.interface_endpoints: dict[str, ec2.IInterfaceVpcEndpoint] = {}
        """Service suffix (e.g. ``kms-fips``, ``ecr.dkr``) -> interface endpoint."""
        if adopt:
            self._adopt(existing_vpc_id, azs, list(existing_subnet_ids), dict(existing_endpoint_ids or {}),
                        existing_endpoint_security_group_id, services)
        else:
            assert net is not None and cidr is not None
            self._create(cidr, net, azs, services, region, ipv6)
        self._logging(flow_log_key, agency_code, flow_log_retention_days, resolver_query_logging)
        self.archive_flow_log: Optional[ec2.FlowLog] = None
        """The second flow log, to ``flow_log_bucket`` (``None`` without one)."""
        if flow_log_bucket is not None:
            self.archive_flow_log = ec2.FlowLog(
                self, "ArchiveFlowLog",
                resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
                destination=ec2.FlowLogDestination.to_s3(flow_log_bucket, "vpc-flow-logs/"),
                traffic_type=ec2.FlowLogTrafficType.ALL,
                log_format=_FLOW_LOG_FORMAT,
            )

    def _adopt(self, vpc_id: str, azs: list[str], subnet_ids: list[str], endpoint_ids: dict[str, str],
               sg_id: Optional[str], services: list[str]) -> None:
        _check_id("existing_vpc_id", vpc_id, "vpc")
        if len(subnet_ids) != len(azs):
            raise ValueError(f"existing_subnet_ids: got {len(subnet_ids)}; allowed one isolated subnet per "
                             f"availability zone, in the same order ({len(azs)})")
        for sid in subnet_ids:
            _check_id("existing_subnet_ids", sid, "subnet")
        required = ["s3", "dynamodb", *services]
        missing = [n for n in required if n not in endpoint_ids]
        extra = [n for n in endpoint_ids if n not in required]
        if missing or extra:
            raise ValueError(f"existing_endpoint_ids: missing {missing}, unexpected {extra}; allowed and required "
                             f"exactly: {', '.join(required)}")
        for eid in endpoint_ids.values():
            _check_id("existing_endpoint_ids", eid, "vpce")
        if sg_id is None:
            raise ValueError("existing_endpoint_security_group_id is required in adopt mode (sg-...)")
        _check_id("existing_endpoint_security_group_id", sg_id, "sg")
        self.vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id=vpc_id, availability_zones=azs,
                                               isolated_subnet_ids=subnet_ids)
        self.endpoint_security_group = ec2.SecurityGroup.from_security_group_id(
            self, "EndpointSecurityGroup", sg_id, mutable=False, allow_all_outbound=False)
        self.s3_endpoint = ec2.GatewayVpcEndpoint.from_gateway_vpc_endpoint_id(self, "S3", endpoint_ids["s3"])
        self.dynamodb_endpoint = ec2.GatewayVpcEndpoint.from_gateway_vpc_endpoint_id(
            self, "DynamoDB", endpoint_ids["dynamodb"])
        self.interface_endpoints = {
            name: ec2.InterfaceVpcEndpoint.from_interface_vpc_endpoint_attributes(
                self, _construct_id(name), vpc_endpoint_id=endpoint_ids[name], port=443,
                security_groups=[self.endpoint_security_group])
            for name in services}

    def _create(self, cidr: str, net: ipaddress.IPv4Network, azs: list[str], services: list[str],
                region: str, ipv6: bool) -> None:
        cidr_mask = net.prefixlen + math.ceil(math.log2(len(azs)))
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=azs,
            nat_gateways=0,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            # The default security group keeps no rules (SC-7): CDK's Lambda-backed custom
            # resource Custom::VpcRestrictDefaultSG revokes them at deploy time.
            restrict_default_security_group=True,
            ip_protocol=ec2.IpProtocol.DUAL_STACK if ipv6 else ec2.IpProtocol.IPV4_ONLY,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                                        cidr_mask=cidr_mask,
                                        ipv6_assign_address_on_creation=False if ipv6 else None),
            ],
        )

        if ipv6:
            # Without the @aws-cdk/aws-ec2:requirePrivateSubnetsForEgressOnlyInternetGateway
            # flag CDK adds an egress-only internet gateway to every dual-stack VPC; an
            # isolated VPC never has one, whatever the app's flags.
            self.vpc.node.try_remove_child("EIGW6")

        provider = Stack.of(self).node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
        handler = provider.node.try_find_child("Handler") if provider is not None else None
        if isinstance(handler, CfnResource):
            # CDK adds DependsOn on the role the handler already references with Fn::GetAtt
            # (cfn-lint W3005, redundant DependsOn).
            handler.add_deletion_override("DependsOn")
            # One provider per stack: acknowledge its checkov findings once.
            if not acknowledgements(handler, tool=TOOL_CHECKOV):
                for check_id, reason in RESTRICT_DEFAULT_SG_HANDLER_CHECKOV.items():
                    acknowledge(handler, tool=TOOL_CHECKOV, id=check_id, reason=reason)
        if provider is not None and not Aspects.of(provider).all:
            # The provider's role and function are plain CfnResources, which tag aspects skip:
            # give them the tags the VPC has (its Name aside) once the tag aspects (priority
            # MUTATING) have run. (With @aws-cdk/core:explicitStackTags the stack's own tag
            # manager stays empty, so the VPC is the reference.)
            Aspects.of(provider).add(_CopyTags(self.vpc.node.default_child))

        self.network_acl = ec2.NetworkAcl(
            self, "NetworkAcl", vpc=self.vpc,
            subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED))
        for direction, suffix in ((ec2.TrafficDirection.INGRESS, "In"), (ec2.TrafficDirection.EGRESS, "Out")):
            self.network_acl.add_entry(
                f"VpcAll{suffix}", cidr=ec2.AclCidr.ipv4(cidr), rule_number=100,
                traffic=ec2.AclTraffic.all_traffic(), direction=direction, rule_action=ec2.Action.ALLOW)

        account_only = {"StringEquals": {"aws:PrincipalAccount": Aws.ACCOUNT_ID}}
        self.s3_endpoint = self.vpc.add_gateway_endpoint(
            "S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        self.s3_endpoint.add_to_policy(iam.PolicyStatement(
            sid="AccountPrincipalsAccountBuckets", principals=[iam.AnyPrincipal()], actions=["*"],
            resources=["*"],
            conditions={"StringEquals": {"aws:PrincipalAccount": Aws.ACCOUNT_ID,
                                         "aws:ResourceAccount": Aws.ACCOUNT_ID}}))
        owned = list(AWS_OWNED_BUCKETS) + ([ECR_LAYER_BUCKET] if "ecr.dkr" in services else [])
        self.s3_endpoint.add_to_policy(iam.PolicyStatement(
            sid="AwsOwnedBucketsReadOnly", principals=[iam.AnyPrincipal()], actions=["s3:GetObject"],
            resources=[f"arn:{Aws.PARTITION}:s3:::{b.format(region=region)}" for b in owned],
            conditions=account_only))
        self.dynamodb_endpoint = self.vpc.add_gateway_endpoint(
            "DynamoDB", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)
        self.dynamodb_endpoint.add_to_policy(iam.PolicyStatement(
            sid="AccountPrincipalsOnly", principals=[iam.AnyPrincipal()], actions=["*"], resources=["*"],
            conditions=account_only))

        self.endpoint_security_group = ec2.SecurityGroup(
            self, "EndpointSecurityGroup", vpc=self.vpc, allow_all_outbound=False,
            description="VPC interface endpoints: TCP 443 from inside the VPC only",
        )
        # The literal CIDR, not Fn::GetAtt Vpc.CidrBlock: the same address range, and a
        # scanner reading the template (cdk-nag EC2RestrictedCommonPorts/SSH, checkov) can tell
        # the rule is closed to the internet instead of failing on an unresolved value.
        self.endpoint_security_group.add_ingress_rule(
            ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
        self.interface_endpoints = {}
        for name in services:
            ep = self.vpc.add_interface_endpoint(
                _construct_id(name),
                service=ec2.InterfaceVpcEndpointService(f"com.amazonaws.{region}.{name}", 443),
                private_dns_enabled=True,
                security_groups=[self.endpoint_security_group],
                open=False,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            )
            ep.add_to_policy(iam.PolicyStatement(
                sid="AccountPrincipalsOnly", principals=[iam.AnyPrincipal()], actions=["*"], resources=["*"],
                conditions=account_only))
            self.interface_endpoints[name] = ep

    def _log_group(self, id: str, name: str, key: kms.IKey, retention_days: int) -> logs.LogGroup:
        """A log group encrypted with ``key``, kept ``retention_days`` (any CloudWatch Logs value,
        validated by the caller), retained on stack deletion."""
        group = logs.LogGroup(self, id, log_group_name=name, encryption_key=key,
                              retention=logs.RetentionDays.INFINITE, removal_policy=RemovalPolicy.RETAIN)
        cfn = group.node.default_child
        assert isinstance(cfn, logs.CfnLogGroup)
        cfn.retention_in_days = retention_days
        return group

    def _logging(self, flow_log_key: kms.IKey, agency_code: str, flow_log_retention_days: int,
                 resolver_query_logging: bool) -> None:
        self.flow_log_group = self._log_group("FlowLogGroup", f"/govcdk/{agency_code}/vpc-flow-logs",
                                              flow_log_key, flow_log_retention_days)
        # Confused-deputy protection (Amazon VPC User Guide, "IAM role for publishing flow logs
        # to CloudWatch Logs"): only flow logs of this account and region may assume the role.
        stack = Stack.of(self)
        self.flow_log_role = iam.Role(self, "FlowLogRole",
                        assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com", conditions={
                            "StringEquals": {"aws:SourceAccount": stack.account},
                            "ArnLike": {"aws:SourceArn":
                                        f"arn:{Aws.PARTITION}:ec2:{stack.region}:{stack.account}:vpc-flow-log/*"},
                        }),
                        description="Delivers VPC flow logs to CloudWatch Logs")
        # The role's permissions are a customer managed policy, not an inline one (AC-6,
        # CM-5(1): versioned, reviewable on its own; cdk-nag NIST.800.53.R5-IAMNoInlinePolicy).
        # The FlowLog gets the role without policy updates, so CDK's grant lands in no inline
        # DefaultPolicy; the statement is the one that grant would write (logGroup.grantWrite).
        self.flow_log_policy = iam.ManagedPolicy(
            self, "FlowLogPolicy", roles=[self.flow_log_role],
            description="VPC flow logs: write to the flow-log log group only",
            statements=[iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                resources=[self.flow_log_group.log_group_arn])])
        self.flow_log = ec2.FlowLog(
            self, "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                self.flow_log_group, self.flow_log_role.without_policy_updates()),
            traffic_type=ec2.FlowLogTrafficType.ALL,
            log_format=_FLOW_LOG_FORMAT,
        )
        # Deliveries start once the role may write (the grant's DependsOn did this before).
        self.flow_log.node.add_dependency(self.flow_log_policy)

        self.query_log_group: Optional[logs.LogGroup] = None
        self.query_logging: Optional[route53resolver.CfnResolverQueryLoggingConfig] = None
        if resolver_query_logging:
            self.query_log_group = self._log_group(
                "QueryLogGroup", f"/govcdk/{agency_code}/resolver-query-logs", flow_log_key,
                flow_log_retention_days)
            self.query_logging = route53resolver.CfnResolverQueryLoggingConfig(
                self, "QueryLogging", name=f"govcdk-{agency_code}-vpc-dns",
                destination_arn=self.query_log_group.log_group_arn)
            route53resolver.CfnResolverQueryLoggingConfigAssociation(
                self, "QueryLoggingAssociation",
                resolver_query_log_config_id=self.query_logging.attr_id, resource_id=self.vpc.vpc_id)

    @property
    def isolated_subnets(self) -> list[ec2.ISubnet]:
        return list(self.vpc.isolated_subnets)


@jsii.implements(IAspect)
class _CopyTags:
    """Copies the tags of ``source`` (a CfnVPC), but its Name, onto the untyped CfnResources of a
    CDK custom-resource provider."""

    def __init__(self, source: ec2.CfnVPC) -> None:
        self._source = source

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.cfn_resource_type in ("AWS::IAM::Role", "AWS::Lambda::Function"):
            rendered = self._source.tags.render_tags() or []
            tags = [{"Key": t.get("key", t.get("Key")), "Value": t.get("value", t.get("Value"))} for t in rendered]
            tags = [t for t in tags if t["Key"] != "Name"]
            if tags:
                node.add_property_override("Tags", tags)


_ID_RE = re.compile(r"(?P<prefix>[a-z]+)-(?:[0-9a-f]{8}|[0-9a-f]{17})")

RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


_FLOW_LOG_FORMAT = [ec2.LogFormat.custom(f"${{{f}}}") for f in FLOW_LOG_FIELDS]


def _check_id(prop: str, value: str, prefix: str) -> None:
    m = _ID_RE.fullmatch(value) if isinstance(value, str) else None
    if m is None or m.group("prefix") != prefix:
        raise ValueError(f"{prop}: {value!r} is not an id; allowed: {prefix}- and 8 or 17 hex digits")


def _construct_id(service: str) -> str:
    return "".join(p.capitalize() for p in service.replace(".", "-").split("-")) + "Endpoint"
