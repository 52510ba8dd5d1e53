"""GpuCluster: an EFA-connected GPU training cluster with no path to the internet.

Controls: SC-7 / SC-7(5) (security groups closed to the cluster), AC-3 / CM-6 (IMDSv2),
SC-28(1) (EBS and FSx for Lustre encrypted with customer-managed keys), AC-17 (SSM only, no key
pair), CA-7 (detailed monitoring), SC-13 (FIPS endpoints for AWS clients on the nodes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence, Union

from aws_cdk import Aws, CfnMapping, CfnParameter, CfnTag, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_fsx as fsx
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from govcdk import govcloud, instances, sizing
from govcdk.config import tag_problems
from govcdk.acknowledge import acknowledge, acknowledgements
from govcdk.policies.suppressions import TOOL_CDK_NAG

if TYPE_CHECKING:
    from govcdk.constructs.isolated_vpc import IsolatedVpc
    from govcdk.constructs.keyring import AgencyKeyring

USER_DATA = """#!/bin/bash
# govcdk: FIPS 140-3 endpoints for every AWS SDK and CLI on the node. Nothing is downloaded:
# the AMI carries the EFA installer, NCCL and drivers.
set -euo pipefail
echo 'AWS_USE_FIPS_ENDPOINT=true' >> /etc/environment
"""

RESERVATION_ID_RE = re.compile(r"cr-[0-9a-f]{8}(?:[0-9a-f]{9})?")
"""A capacity reservation id (EC2 API Reference, ``CapacityReservation``): ``cr-`` and 8 or 17
hex digits. Capacity Blocks are capacity reservations too."""

AMI_ID_RE = re.compile(r"ami-[0-9a-f]{8}(?:[0-9a-f]{9})?")

ROOT_DEVICE_RE = re.compile(r"/dev/(?:sd[a-z][0-9]*|xvd[a-z][0-9]*|nvme[0-9]+n[0-9]+)")
"""Root device names EC2 accepts for Linux AMIs (EC2 User Guide, "Device names on Linux
instances")."""

CAPACITY_BLOCK_INSTANCE_TYPES = sizing.CAPACITY_BLOCK_INSTANCE_TYPES
"""Instance types EC2 sells as Capacity Blocks for ML (:data:`govcdk.sizing.CAPACITY_BLOCK_INSTANCE_TYPES`,
with its source and date); a :class:`CapacityBlock` for any other type is a ``ValueError``."""


SSM_PARAMETER_RE = re.compile(r"/[A-Za-z0-9_./-]{1,1010}")

LUSTRE_THROUGHPUT_PER_TIB = sizing.LUSTRE_THROUGHPUT_PER_TIB
"""``PerUnitStorageThroughput`` values for ``PERSISTENT_2`` SSD file systems, MB/s per TiB
(Amazon FSx API Reference, ``CreateFileSystemLustreConfiguration``)."""

LUSTRE_EFA_CAPACITY_STEP_GIB = sizing.LUSTRE_EFA_CAPACITY_STEP_GIB
"""Throughput tier -> storage step (GiB) of an EFA-enabled file system (FSx for Lustre User
Guide, "Increasing storage capacity"; :data:`govcdk.sizing.LUSTRE_EFA_CAPACITY_STEP_GIB`)."""

LUSTRE_PORTS = ((988, 988), (1018, 1023))
"""TCP ports of Lustre LNET traffic (FSx for Lustre User Guide, "File system access control
with Amazon VPC")."""


@dataclass(frozen=True)
class OnDemand:
    """Launch On-Demand into a cluster placement group (the default)."""


@dataclass(frozen=True)
class CapacityReservation:
    """Launch into one targeted On-Demand Capacity Reservation.

    :param reservation_id: ``cr-`` and 8 or 17 hex digits; the default of the template
        parameter ``CapacityReservationId``, so a new reservation needs no new synthesis.
    :param availability_zone: the reservation's AZ name, if known; the cluster's subnets must
        be in it (a reservation serves one AZ).
    """

    reservation_id: str
    availability_zone: str | None = None

    market_type = None


@dataclass(frozen=True)
class CapacityBlock(CapacityReservation):
    """Launch into an EC2 Capacity Block for ML (``InstanceMarketOptions.MarketType:
    capacity-block``, targeted by its reservation id). Capacity Blocks are placed co-located by
    EC2, so no placement group is created."""

    market_type = "capacity-block"


Capacity = Union[OnDemand, CapacityReservation, CapacityBlock]


@dataclass(frozen=True)
class LustreStorage:
    """Shared FSx for Lustre storage for the cluster.

    :param storage_capacity_gib: GiB, 1200 or a multiple of 2400 (``PERSISTENT_2`` SSD),
        default 1200. With EFA it must also be a multiple of the throughput tier's step:
        38400 GiB at 125, 19200 at 250, 9600 at 500, 4800 at 1000 MB/s per TiB (FSx for Lustre
        User Guide, "Increasing storage capacity": EFA-enabled file systems; each step is one
        unit of about 4.7 GB/s; :data:`LUSTRE_EFA_CAPACITY_STEP_GIB`).
    :param throughput_per_tib: MB/s per TiB, one of :data:`LUSTRE_THROUGHPUT_PER_TIB`; the
        default of the template parameter ``LustreThroughputPerTiB``. Default 250. With EFA the
        parameter's ``AllowedValues`` are only the tiers for which the capacity is valid (9600
        GiB: 500 and 1000), so a deployment cannot pick a tier FSx would refuse.
    :param efa: ``EfaEnabled`` (EFA and GPUDirect Storage). ``None`` (default) = automatic: on
        exactly when the configuration allows it, that is the cluster uses EFA and
        ``storage_capacity_gib`` is a multiple of the step of ``throughput_per_tib`` (4800 GiB
        at 1000: on; the default 1200 GiB at 250: off, Lustre over TCP). ``True`` demands it:
        ``ValueError`` for a non-EFA cluster or a capacity that is no multiple of the tier's
        step (the message lists the steps). ``False``: Lustre over TCP. EFA needs
        ``PERSISTENT_2`` and a metadata configuration (both always set here) and security
        groups open to all traffic within the cluster (set here). It cannot be changed after
        creation, and it freezes ``PerUnitStorageThroughput``.
    :param backup_retention_days: automatic daily backups kept 0..90 days (CP-9), default 7.
    """

    storage_capacity_gib: int = 1200
    throughput_per_tib: int = 250
    efa: bool | None = None
    backup_retention_days: int = 7


class GpuCluster(Construct):
    """A fixed-size Auto Scaling group of accelerated nodes in one availability zone.

    - Launch template: IMDSv2 required with hop limit 1 (2 when ``containers=True``); gp3 root
      volume encrypted with the keyring's ``ebs`` key; no key pair; an instance profile with
      ``AmazonSSMManagedInstanceCore`` (partition-aware managed-policy ARN); detailed
      monitoring; user data that turns on FIPS endpoints and downloads nothing.
    - Network interfaces: :func:`govcdk.instances.efa_layout` (EC2 User Guide,
      ``efa-acc-inst-types``), or one ENA interface with ``efa=False``; every interface in the
      cluster security group, no public IP.
    - Security group (:attr:`security_group`): all traffic to and from itself only (EFA OS
      bypass requires it, EC2 User Guide "Prepare an EFA-enabled security group"), TCP 443 to
      the VPC endpoints' security group, Lustre traffic to and from the file system's security
      group when there is one, nothing else, no CIDR anywhere. cdk-nag's
      ``EC2RestrictedCommonPorts`` fails any all-traffic rule whatever its source; the
      all-traffic ingress rules between the cluster's own groups acknowledge it with the EFA
      requirement as reason (:data:`NODES_ALL_TRAFFIC_REASON`,
      :data:`EFA_LUSTRE_ALL_TRAFFIC_REASON`; ``Metadata.cdk_nag``).
    - Placement: one availability zone (EFA does not cross AZs). On-Demand: a cluster placement
      group (:attr:`placement_group`). A capacity reservation or Capacity Block: no placement
      group; the launch template targets the reservation through the template parameter
      ``CapacityReservationId``.
    - AMI: never looked up at synth time. Either the template parameter ``GpuAmiId`` of type
      ``AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`` defaulting to ``ami_ssm_parameter``,
      or of type ``AWS::EC2::Image::Id`` defaulting to ``ami_ids[<stack region>]``. The image
      must carry the EFA software, NCCL and the GPU driver (AWS Deep Learning AMI or
      equivalent): the nodes cannot reach the internet.
    - Shared storage (optional, :attr:`file_system`): FSx for Lustre ``PERSISTENT_2`` in the
      cluster's first subnet, encrypted with the keyring's ``fsx`` key, LZ4 compression,
      automatic metadata, ``EfaEnabled`` per :class:`LustreStorage`, its own security group
      (:attr:`file_system_security_group`) allowing TCP 988 and 1018-1023 (all traffic when
      EFA is enabled, as FSx requires) only within itself and with the nodes.

    :param vpc: an :class:`~govcdk.constructs.IsolatedVpc`, or any ``ec2.IVpc`` together with
        ``subnets`` and ``endpoint_security_group``.
    :param keyring: the :class:`~govcdk.constructs.AgencyKeyring`; its ``ebs`` key (and ``fsx``
        key with ``shared_storage``) is used. Its EBS key policy lets the Auto Scaling
        service-linked role use the key, so encrypted launches do not fail.
    :param instance_type: an accelerated type offered in the stack's region (cfn-lint's region
        data) with govcdk instance facts (``govcdk facts list``).
    :param node_count: 1..``max_nodes`` (default ``max_nodes`` 64).
    :param ami_ssm_parameter: SSM parameter name holding the AMI id; or
    :param ami_ids: AMI id per region (``{"us-gov-west-1": "ami-..."}``); exactly one of the two.
    :param subnets: subnets for the nodes, all in one AZ. Default: the IsolatedVpc's isolated
        subnet in ``availability_zone``.
    :param availability_zone: the AZ name, default the IsolatedVpc's first AZ (or the
        reservation's AZ when the capacity names one).
    :param endpoint_security_group: the VPC endpoints' security group (443 egress target);
        default the IsolatedVpc's.
    :param efa: attach EFA interfaces (default ``True``).
    :param capacity: :class:`OnDemand` (default), :class:`CapacityReservation` or
        :class:`CapacityBlock`.
    :param shared_storage: :class:`LustreStorage` or ``None`` (default).
    :param root_volume_gib: root volume size, GiB, 8..16384 (default 512).
    :param root_device_name: default ``/dev/sda1`` (Deep Learning AMI, Ubuntu).
    :param containers: allow IMDS hop limit 2 for containers (default False).
    :param launch_tags: tags for the launch template and, through its ``TagSpecifications``,
        every instance, volume and network interface it launches (CDK's ``Tags`` do not reach
        into launch-template data).
    :param allow_commercial: allow a stack region outside GovCloud (US) (default False).
    :raises ValueError: node count outside 1..max_nodes; instance type unknown (message lists
        the known types), not offered in the stack's region (lists the EFA-capable types offered
        there) or without EFA while ``efa=True``; subnets in more than one AZ (or AZs that
        cannot be read) with a placement group or EFA; a reservation id not ``cr-...``; a
        reservation AZ outside the stack's region or other than the subnets'; a
        :class:`CapacityBlock` for a type EC2 does not sell as Capacity Blocks (lists
        :data:`CAPACITY_BLOCK_INSTANCE_TYPES`); AMI inputs missing, both given or malformed, or
        ``ami_ids`` keyed by a region outside GovCloud (US) (the stack's own region is allowed
        with ``allow_commercial``); Lustre capacity, throughput or backup days outside what FSx
        allows, or ``LustreStorage.efa=True`` where EFA is not possible; a region outside
        GovCloud without ``allow_commercial``; a prop of the wrong kind (``vpc``, ``keyring``,
        ``subnets``, ``endpoint_security_group``, ``launch_tags`` (AWS's tag rule, the agency file's:
        :func:`govcdk.config.tag_problems`), ``root_device_name``); ``availability_zone`` other than the
        given subnets'; a subnet AZ outside the stack's region or CDK's ``dummy`` placeholder; a
        second GpuCluster in the same stack (its template parameters and mapping are
        stack-wide: one cluster per stack); subnets too small for the nodes (see below). The
        keyring's ``UnknownKeyPurposeError`` when it lacks the ``ebs`` key (or ``fsx`` with
        ``shared_storage``). Every prop is checked before any construct is added: a caller
        that catches the error finds the stack unchanged.

    Addresses: when the subnets' CIDRs are known (an IsolatedVpc in create mode, or subnets
    imported with ``ipv4_cidr_block``), their usable addresses (size minus the 5 AWS reserves,
    Amazon VPC User Guide "Subnet CIDR blocks") must hold ``node_count`` x the addresses of one
    node (one per ENA or ``efa`` interface; ``efa-only`` interfaces take none, EC2 User Guide
    "EFA-only interfaces"), plus one network interface per interface VPC endpoint of an
    IsolatedVpc in each subnet, plus govcdk's upper estimate for the Lustre file system
    (:func:`govcdk.sizing.lustre_addresses`); the message gives the largest node count that
    fits. Instances replaced by Auto Scaling need no extra room (the old one is terminated
    first); other interfaces placed in the subnet later are not counted.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: "IsolatedVpc | ec2.IVpc",
        keyring: "AgencyKeyring",
        instance_type: str,
        node_count: int,
        ami_ssm_parameter: str | None = None,
        ami_ids: Mapping[str, str] | None = None,
        max_nodes: int = 64,
        subnets: Sequence[ec2.ISubnet] | None = None,
        availability_zone: str | None = None,
        endpoint_security_group: ec2.ISecurityGroup | None = None,
        efa: bool = True,
        capacity: Capacity | None = None,
        shared_storage: LustreStorage | None = None,
        root_volume_gib: int = 512,
        root_device_name: str = "/dev/sda1",
        containers: bool = False,
        launch_tags: Mapping[str, str] | None = None,
        allow_commercial: bool = False,
    ) -> None:
        plan = _plan(
            scope, vpc=vpc, keyring=keyring, instance_type=instance_type, node_count=node_count,
            ami_ssm_parameter=ami_ssm_parameter, ami_ids=ami_ids, max_nodes=max_nodes, subnets=subnets,
            availability_zone=availability_zone, endpoint_security_group=endpoint_security_group, efa=efa,
            capacity=capacity, shared_storage=shared_storage, root_volume_gib=root_volume_gib,
            root_device_name=root_device_name, containers=containers, launch_tags=launch_tags,
            allow_commercial=allow_commercial)
        # Nothing above added a construct: a ValueError leaves the caller's stack unchanged.
        super().__init__(scope, id)
        region = plan.region
        capacity = plan.capacity
        layout = plan.layout
        self.instance_facts = instances.facts(instance_type)
        self.interfaces = layout
        self.subnets = plan.subnets
        self.availability_zone = plan.availability_zone
        endpoint_security_group = plan.endpoint_security_group
        ec2_vpc = plan.ec2_vpc
        ebs_key = keyring.key_for("ebs")

        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=ec2_vpc, allow_all_outbound=False,
            description="GPU nodes: all traffic within the cluster (EFA), HTTPS to VPC endpoints",
        )
        self.security_group.add_ingress_rule(self.security_group, ec2.Port.all_traffic(), "EFA: all traffic from cluster nodes")
        self.security_group.add_egress_rule(self.security_group, ec2.Port.all_traffic(), "EFA: all traffic to cluster nodes")
        self.security_group.add_egress_rule(endpoint_security_group, ec2.Port.tcp(443), "HTTPS to VPC endpoints")
        _acknowledge_group_all_traffic(self.security_group, NODES_ALL_TRAFFIC_REASON)

        self.role = iam.Role(
            self, "NodeRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")],
            description="GPU training nodes: managed through SSM only",
        )
        profile = iam.CfnInstanceProfile(self, "InstanceProfile", roles=[self.role.role_name])

        self.ami_parameter = CfnParameter(self, "GpuAmiId", type=plan.ami_type, default=plan.ami_default,
                                          description=plan.ami_description)
        self.ami_parameter.override_logical_id("GpuAmiId")

        # The instance type is written per region: this template carries it only for the
        # region it was validated against (govcloud.instance_types), so it cannot be launched
        # by mistake where the type is not offered. AgencyStack's TargetRegion rule makes a
        # deployment to another region fail with a clear message.
        type_map = CfnMapping(self, "InstanceTypeByRegion",
                              mapping={region: {"InstanceType": instance_type}})
        type_map.override_logical_id("GpuInstanceTypeByRegion")

        self.placement_group: ec2.CfnPlacementGroup | None = None
        self.reservation_parameter: CfnParameter | None = None
        placement = reservation_spec = market = None
        if isinstance(capacity, CapacityReservation):
            self.reservation_parameter = CfnParameter(
                self, "CapacityReservationId", type="String", default=capacity.reservation_id,
                allowed_pattern=RESERVATION_ID_RE.pattern,
                constraint_description="a capacity reservation id: cr- and 8 or 17 hex digits",
                description=("Capacity Block" if capacity.market_type else "Capacity reservation")
                + " the GPU nodes launch into (one availability zone)",
            )
            self.reservation_parameter.override_logical_id("CapacityReservationId")
            reservation_spec = ec2.CfnLaunchTemplate.CapacityReservationSpecificationProperty(
                capacity_reservation_target=ec2.CfnLaunchTemplate.CapacityReservationTargetProperty(
                    capacity_reservation_id=self.reservation_parameter.value_as_string))
            if capacity.market_type:
                market = ec2.CfnLaunchTemplate.InstanceMarketOptionsProperty(market_type=capacity.market_type)
        else:
            self.placement_group = ec2.CfnPlacementGroup(self, "PlacementGroup", strategy="cluster")
            placement = ec2.CfnLaunchTemplate.PlacementProperty(group_name=self.placement_group.ref)

        self.file_system = self.file_system_security_group = None
        if shared_storage is not None:
            assert plan.lustre_efa is not None
            self._lustre(ec2_vpc, keyring, shared_storage, plan.lustre_efa)

        tag_list = [CfnTag(key=k, value=v) for k, v in sorted((launch_tags or {}).items())]
        interfaces = [
            ec2.CfnLaunchTemplate.NetworkInterfaceProperty(
                network_card_index=spec.network_card_index,
                device_index=spec.device_index,
                interface_type=spec.interface_type,
                groups=[self.security_group.security_group_id],
                associate_public_ip_address=False,
                delete_on_termination=True,
            )
            for spec in layout
        ]
        self.launch_template = ec2.CfnLaunchTemplate(
            self, "LaunchTemplate",
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                image_id=self.ami_parameter.value_as_string,
                instance_type=type_map.find_in_map(Aws.REGION, "InstanceType"),
                iam_instance_profile=ec2.CfnLaunchTemplate.IamInstanceProfileProperty(arn=profile.attr_arn),
                metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(
                    http_tokens="required", http_endpoint="enabled",
                    http_put_response_hop_limit=2 if containers else 1,
                    instance_metadata_tags="disabled",
                ),
                block_device_mappings=[ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
                    device_name=root_device_name,
                    ebs=ec2.CfnLaunchTemplate.EbsProperty(
                        encrypted=True, kms_key_id=ebs_key.key_arn, volume_type="gp3",
                        volume_size=root_volume_gib, delete_on_termination=True,
                    ),
                )],
                monitoring=ec2.CfnLaunchTemplate.MonitoringProperty(enabled=True),
                network_interfaces=interfaces,
                placement=placement,
                capacity_reservation_specification=reservation_spec,
                instance_market_options=market,
                user_data=Fn.base64(USER_DATA),
                tag_specifications=[
                    ec2.CfnLaunchTemplate.TagSpecificationProperty(resource_type=rt, tags=tag_list)
                    for rt in ("instance", "volume", "network-interface")
                ] if tag_list else None,
            ),
            tag_specifications=[ec2.CfnLaunchTemplate.LaunchTemplateTagSpecificationProperty(
                resource_type="launch-template", tags=tag_list)] if tag_list else None,
        )
        self.auto_scaling_group = autoscaling.CfnAutoScalingGroup(
            self, "AutoScalingGroup",
            min_size=str(node_count), max_size=str(node_count), desired_capacity=str(node_count),
            launch_template=autoscaling.CfnAutoScalingGroup.LaunchTemplateSpecificationProperty(
                launch_template_id=self.launch_template.ref,
                version=self.launch_template.attr_latest_version_number,
            ),
            vpc_zone_identifier=[s.subnet_id for s in self.subnets],
        )
        self._built = True

    # -- parts ------------------------------------------------------------------------------

    def _lustre(self, vpc: ec2.IVpc, keyring: "AgencyKeyring", storage: LustreStorage, efa: bool) -> None:
        """The file system, validated by :func:`_check_lustre`; ``efa``: its ``EfaEnabled``."""
        sg = ec2.SecurityGroup(
            self, "FileSystemSecurityGroup", vpc=vpc, allow_all_outbound=False,
            description="FSx for Lustre: Lustre traffic with the GPU nodes and within the file system only",
        )
        nodes = self.security_group
        if efa:
            # FSx for Lustre User Guide, "EFA-enabled security groups": all traffic to and from
            # the group itself and the clients' group.
            for peer in (sg, nodes):
                sg.add_ingress_rule(peer, ec2.Port.all_traffic(), "EFA Lustre: all traffic within the cluster")
                sg.add_egress_rule(peer, ec2.Port.all_traffic(), "EFA Lustre: all traffic within the cluster")
            nodes.add_ingress_rule(sg, ec2.Port.all_traffic(), "EFA Lustre: all traffic from the file system")
            nodes.add_egress_rule(sg, ec2.Port.all_traffic(), "EFA Lustre: all traffic to the file system")
            for group in (sg, nodes):
                _acknowledge_group_all_traffic(group, EFA_LUSTRE_ALL_TRAFFIC_REASON)
        else:
            for low, high in LUSTRE_PORTS:
                port = ec2.Port.tcp(low) if low == high else ec2.Port.tcp_range(low, high)
                for peer in (sg, nodes):
                    sg.add_ingress_rule(peer, port, "Lustre LNET")
                    sg.add_egress_rule(peer, port, "Lustre LNET")
                nodes.add_ingress_rule(sg, port, "Lustre LNET from the file system")
                nodes.add_egress_rule(sg, port, "Lustre LNET to the file system")
        # With EFA only the tiers for which the capacity is a valid multiple (FSx for Lustre
        # User Guide, "Increasing storage capacity"), so a deployment cannot pick one FSx refuses.
        tiers = sizing.lustre_efa_throughputs(storage.storage_capacity_gib) if efa else LUSTRE_THROUGHPUT_PER_TIB
        throughput = CfnParameter(
            self, "LustreThroughputPerTiB", type="Number", default=str(storage.throughput_per_tib),
            allowed_values=[str(v) for v in tiers],
            description="FSx for Lustre PERSISTENT_2 throughput, MB/s per TiB"
                        + (f" (EFA-enabled: {storage.storage_capacity_gib} GiB allows "
                           f"{', '.join(map(str, tiers))}; fixed once the file system exists)" if efa else ""))
        throughput.override_logical_id("LustreThroughputPerTiB")
        self.file_system_security_group = sg
        self.file_system = fsx.CfnFileSystem(
            self, "FileSystem",
            file_system_type="LUSTRE", file_system_type_version="2.15", storage_type="SSD",
            storage_capacity=storage.storage_capacity_gib,
            subnet_ids=[self.subnets[0].subnet_id],
            security_group_ids=[sg.security_group_id],
            kms_key_id=keyring.key_for("fsx").key_id,
            lustre_configuration=fsx.CfnFileSystem.LustreConfigurationProperty(
                deployment_type="PERSISTENT_2",
                per_unit_storage_throughput=throughput.value_as_number,
                data_compression_type="LZ4",
                metadata_configuration=fsx.CfnFileSystem.MetadataConfigurationProperty(mode="AUTOMATIC"),
                efa_enabled=efa,
                automatic_backup_retention_days=storage.backup_retention_days,
                copy_tags_to_backups=True,
            ),
        )
        self.file_system.apply_removal_policy(RemovalPolicy.RETAIN)


# -- acknowledgements --------------------------------------------------------------------------

ALL_TRAFFIC_NAG_RULE = "NIST.800.53.R5-EC2RestrictedCommonPorts"
"""cdk-nag's rule that fails every ingress rule of protocol ``-1`` (all traffic), whatever its
source: it cannot tell a security group's reference to itself from an open CIDR."""

NODES_ALL_TRAFFIC_REASON = (
    "the GPU nodes exchange collective-communication traffic with each other (EFA's OS-bypass "
    "transport, or NCCL over TCP on ephemeral ports), and EFA requires a security group that "
    "allows all traffic to and from itself (EC2 User Guide, 'Prepare an EFA-enabled security "
    "group'); the only source is this security group, no CIDR, so no address outside the "
    "cluster reaches any port (SC-7)")
"""Why the nodes' all-traffic rule from their own security group is acknowledged (cdk-nag)."""

EFA_LUSTRE_ALL_TRAFFIC_REASON = (
    "an EFA-enabled FSx for Lustre file system requires all traffic between its security group "
    "and its clients' (FSx for Lustre User Guide, 'EFA-enabled security groups'); the sources "
    "are the file system's and the GPU nodes' security groups only, no CIDR, so no address "
    "outside the cluster reaches any port (SC-7)")
"""Why the all-traffic rules between the nodes and an EFA Lustre file system are acknowledged."""


def _acknowledge_group_all_traffic(group: ec2.SecurityGroup, reason: str) -> None:
    """Acknowledge :data:`ALL_TRAFFIC_NAG_RULE` on each all-traffic ingress rule of ``group``
    whose source is a security group (never a CIDR), once per rule."""
    for child in group.node.children:
        if (isinstance(child, ec2.CfnSecurityGroupIngress) and child.ip_protocol == "-1"
                and child.source_security_group_id is not None
                and child.cidr_ip is None and child.cidr_ipv6 is None
                and not acknowledgements(child, tool=TOOL_CDK_NAG)):
            acknowledge(child, tool=TOOL_CDK_NAG, id=ALL_TRAFFIC_NAG_RULE, reason=reason)


# -- validation helpers ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Plan:
    """What :func:`_plan` validated and derived, before any construct exists."""

    region: str
    capacity: "OnDemand | CapacityReservation"
    layout: list[instances.InterfaceSpec]
    ec2_vpc: ec2.IVpc
    subnets: list[ec2.ISubnet]
    availability_zone: str | None
    endpoint_security_group: ec2.ISecurityGroup
    lustre_efa: bool | None
    ami_type: str
    ami_default: str
    ami_description: str


def _plan(scope: Construct, *, vpc: object, keyring: "AgencyKeyring", instance_type: str, node_count: int,
          ami_ssm_parameter: str | None, ami_ids: Mapping[str, str] | None, max_nodes: int,
          subnets: Sequence[ec2.ISubnet] | None, availability_zone: str | None,
          endpoint_security_group: ec2.ISecurityGroup | None, efa: bool, capacity: Capacity | None,
          shared_storage: LustreStorage | None, root_volume_gib: int, root_device_name: str,
          containers: bool, launch_tags: Mapping[str, str] | None, allow_commercial: bool) -> _Plan:
    """Validate every :class:`GpuCluster` prop (ValueError, see its docstring) without adding
    anything to the construct tree."""
    stack = Stack.of(scope)
    region = stack.region
    govcloud.check_stack_region(region, allow_commercial=allow_commercial)
    capacity = OnDemand() if capacity is None else capacity
    _check_counts(node_count, max_nodes, root_volume_gib)
    for name, flag in (("efa", efa), ("containers", containers)):
        if not isinstance(flag, bool):
            raise ValueError(f"{name}={flag!r}: allowed True or False")
    layout = _layout(instance_type, region, efa)
    if not isinstance(capacity, (OnDemand, CapacityReservation)):
        raise ValueError(f"capacity={capacity!r}: allowed OnDemand(), CapacityReservation(...) "
                         "or CapacityBlock(...)")
    reserved_az = None
    if isinstance(capacity, CapacityReservation):
        if not (isinstance(capacity.reservation_id, str) and RESERVATION_ID_RE.fullmatch(capacity.reservation_id)):
            raise ValueError(f"reservation_id={capacity.reservation_id!r}: allowed 'cr-' and 8 or 17 "
                             "lower-case hex digits")
        reserved_az = capacity.availability_zone
        if reserved_az is not None:
            if not isinstance(reserved_az, str):
                raise ValueError(f"CapacityReservation.availability_zone={reserved_az!r}: give an availability "
                                 "zone name, e.g. us-gov-west-1a")
            if govcloud.is_govcloud(region) and reserved_az not in govcloud.region(region).availability_zones:
                raise ValueError(f"CapacityReservation.availability_zone={reserved_az!r} is not in {region}; "
                                 f"allowed: {', '.join(govcloud.region(region).availability_zones)}")
    if isinstance(capacity, CapacityBlock) and instance_type not in CAPACITY_BLOCK_INSTANCE_TYPES:
        raise ValueError(f"CapacityBlock for {instance_type}: EC2 does not sell Capacity Blocks for ML for "
                         f"this type; allowed: {', '.join(CAPACITY_BLOCK_INSTANCE_TYPES)} "
                         f"({sizing.CAPACITY_BLOCK_SOURCE}); use CapacityReservation(...) or OnDemand()")
    lustre_efa = _check_lustre(shared_storage, efa)
    _check_types(vpc=vpc, keyring=keyring, subnets=subnets, endpoint_security_group=endpoint_security_group,
                 launch_tags=launch_tags, root_device_name=root_device_name,
                 availability_zone=availability_zone)
    keyring.key_for("ebs")
    if shared_storage is not None:
        keyring.key_for("fsx")
    if any(isinstance(c, GpuCluster) and getattr(c, "_built", False) for c in stack.node.find_all()):
        raise ValueError("one GpuCluster per stack: its template parameters (GpuAmiId, "
                         "CapacityReservationId, LustreThroughputPerTiB) and the GpuInstanceTypeByRegion "
                         "mapping are stack-wide; put each cluster in its own stack")
    isolated = _as_isolated(vpc)
    ec2_vpc: ec2.IVpc = isolated.vpc if isolated is not None else vpc  # type: ignore[assignment]
    az_prop = "availability_zone" if availability_zone is not None else "CapacityReservation.availability_zone"
    chosen = _subnets(isolated, subnets, availability_zone or reserved_az, az_prop)
    az = _one_az(chosen, region)
    if availability_zone is not None and az not in (None, availability_zone):
        raise ValueError(f"availability_zone={availability_zone!r} but the subnets are in "
                         f"{az}; give one or the other, or subnets in that zone")
    if reserved_az is not None and az is not None and reserved_az != az:
        raise ValueError(f"the capacity reservation is in {reserved_az} (CapacityReservation.availability_zone) "
                         f"but the subnets are in {az}; a reservation serves one availability zone")
    if endpoint_security_group is None:
        if isolated is None:
            raise ValueError("endpoint_security_group is required when vpc is not an IsolatedVpc")
        endpoint_security_group = isolated.endpoint_security_group
    ami_type, ami_default, ami_description = _check_ami(region, ami_ssm_parameter, ami_ids, allow_commercial)
    _check_addresses(chosen, isolated, layout, node_count, instance_type, shared_storage)
    return _Plan(region=region, capacity=capacity, layout=layout, ec2_vpc=ec2_vpc, subnets=chosen,
                 availability_zone=az, endpoint_security_group=endpoint_security_group, lustre_efa=lustre_efa,
                 ami_type=ami_type, ami_default=ami_default, ami_description=ami_description)


def _check_ami(region: str, ssm_name: str | None, ami_ids: Mapping[str, str] | None,
               allow_commercial: bool) -> tuple[str, str, str]:
    """``(parameter type, default, description)`` of the ``GpuAmiId`` template parameter."""
    if (ssm_name is None) == (ami_ids is None):
        raise ValueError("give exactly one of ami_ssm_parameter (an SSM parameter name holding "
                         "the AMI id) and ami_ids (an AMI id per region)")
    if ssm_name is not None:
        if not (isinstance(ssm_name, str) and SSM_PARAMETER_RE.fullmatch(ssm_name)):
            raise ValueError(f"ami_ssm_parameter={ssm_name!r}: allowed an SSM parameter name: '/' "
                             "then letters, digits, '_', '.', '-' or '/'")
        return ("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", ssm_name,
                "SSM parameter holding the GPU AMI id (must carry EFA, NCCL and the GPU driver)")
    if not isinstance(ami_ids, Mapping) or not ami_ids:
        raise ValueError("ami_ids: give a mapping of region to AMI id, e.g. "
                         "{'us-gov-west-1': 'ami-0123456789abcdef0'}")
    for r, ami in ami_ids.items():
        if not (isinstance(r, str) and (govcloud.is_govcloud(r) or (allow_commercial and r == region))):
            extra = f" (or the stack's region {region} with allow_commercial)" if allow_commercial else ""
            raise ValueError(f"ami_ids key {r!r} is not a GovCloud (US) region; allowed keys: "
                             f"{', '.join(govcloud.REGIONS)}{extra}")
        if not (isinstance(ami, str) and AMI_ID_RE.fullmatch(ami)):
            raise ValueError(f"ami_ids[{r!r}]={ami!r}: allowed 'ami-' and 8 or 17 lower-case hex digits")
    if region not in ami_ids:
        raise ValueError(f"ami_ids has no AMI for the stack's region {region}; it has: "
                         f"{', '.join(sorted(map(str, ami_ids)))}")
    return ("AWS::EC2::Image::Id", ami_ids[region],
            f"GPU AMI id in {region} (must carry EFA, NCCL and the GPU driver)")


def _check_lustre(storage: LustreStorage | None, cluster_efa: bool) -> bool | None:
    """Validate ``shared_storage``; return its ``EfaEnabled`` (``None`` without storage)."""
    if storage is None:
        return None
    if not isinstance(storage, LustreStorage):
        raise ValueError(f"shared_storage={storage!r}: allowed LustreStorage(...) or None")
    cap = storage.storage_capacity_gib
    if not sizing.lustre_capacity_ok(cap):
        raise ValueError(f"storage_capacity_gib={cap!r}: allowed 1200 or a multiple of 2400 "
                         "(FSx for Lustre PERSISTENT_2 SSD)")
    tp = storage.throughput_per_tib
    if not _is_int(tp) or tp not in LUSTRE_THROUGHPUT_PER_TIB:
        raise ValueError(f"throughput_per_tib={tp!r}: allowed "
                         f"{', '.join(map(str, LUSTRE_THROUGHPUT_PER_TIB))} (MB/s per TiB, PERSISTENT_2)")
    days = storage.backup_retention_days
    if not _is_int(days) or not 0 <= days <= 90:
        raise ValueError(f"backup_retention_days={days!r}: allowed 0..90")
    if storage.efa is not None and not isinstance(storage.efa, bool):
        raise ValueError(f"LustreStorage.efa={storage.efa!r}: allowed True, False or None")
    tiers = sizing.lustre_efa_throughputs(cap)
    if storage.efa is None:
        return cluster_efa and tp in tiers
    if storage.efa and not cluster_efa:
        raise ValueError("LustreStorage.efa=True needs an EFA cluster (efa=True)")
    if storage.efa and tp not in tiers:
        fits = (f"{cap} GiB allows EFA at {', '.join(map(str, tiers))} MB/s per TiB" if tiers
                else f"{cap} GiB is a multiple of none of these")
        raise ValueError(f"LustreStorage(storage_capacity_gib={cap}, throughput_per_tib={tp}, efa=True): "
                         f"{sizing.lustre_efa_rule()}; {fits}; change the capacity or throughput, or set "
                         "efa=None (EFA where the capacity allows) or efa=False")
    return storage.efa


def _check_addresses(subnets: Sequence[ec2.ISubnet], isolated: "IsolatedVpc | None",
                     layout: Sequence[instances.InterfaceSpec], node_count: int, instance_type: str,
                     storage: LustreStorage | None) -> None:
    """The subnets' usable addresses hold the nodes, the IsolatedVpc's interface endpoints and
    the Lustre file system (see the :class:`GpuCluster` docstring); skipped when a subnet's
    CIDR is unknown."""
    cidrs = []
    for s in subnets:
        try:
            cidr = s.ipv4_cidr_block
        except Exception:  # noqa: BLE001 - CDK throws for a subnet imported without its CIDR
            return
        if not isinstance(cidr, str) or Token.is_unresolved(cidr) or "/" not in cidr:
            return
        cidrs.append(cidr)
    usable = sum(sizing.usable_addresses(int(c.split("/")[1])) for c in cidrs)
    endpoints = len(isolated.interface_endpoints) * len(cidrs) if isolated is not None else 0
    lustre = sizing.lustre_addresses(storage.storage_capacity_gib) if storage is not None else 0
    per_node = sizing.addresses_per_node(spec.interface_type for spec in layout)
    fit = sizing.max_nodes(usable, per_node, endpoints=endpoints, lustre=lustre)
    if node_count > fit:
        where = f"the cluster's subnet {cidrs[0]}" if len(cidrs) == 1 else f"the cluster's subnets {', '.join(cidrs)}"
        raise ValueError(
            f"node_count={node_count}: "
            + sizing.describe_budget(where, usable, per_node, instance_type, endpoints=endpoints, lustre=lustre)
            + f": at most {fit} node(s) fit; lower node_count, give the VPC a larger CIDR"
            + (" or give the Lustre file system less storage"
               if lustre and sizing.max_nodes(usable, per_node, endpoints=endpoints) >= node_count else ""))


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_counts(node_count: int, max_nodes: int, root_volume_gib: int) -> None:
    if not _is_int(max_nodes) or max_nodes < 1:
        raise ValueError(f"max_nodes={max_nodes!r}: allowed a whole number >= 1")
    if not _is_int(node_count) or not 1 <= node_count <= max_nodes:
        raise ValueError(f"node_count={node_count!r}: allowed 1..{max_nodes}")
    if not _is_int(root_volume_gib) or not 8 <= root_volume_gib <= 16384:
        raise ValueError(f"root_volume_gib={root_volume_gib!r}: allowed 8..16384 (gp3)")


def _layout(instance_type: str, region: str, efa: bool) -> list[instances.InterfaceSpec]:
    if not isinstance(instance_type, str):
        raise ValueError(f"instance_type={instance_type!r}: give an instance type name, e.g. p5.48xlarge")
    f = instances.facts(instance_type)  # UnknownInstanceTypeError (a ValueError) lists known types
    if govcloud.is_govcloud(region) and instance_type not in govcloud.instance_types(region):
        raise ValueError(
            f"instance type {instance_type} is not offered in {region}; EFA-capable accelerated "
            f"types offered there: {', '.join(instances.efa_instance_types(region))}")
    if not efa:
        return instances.ena_layout()
    if not f.efa_supported or f.maximum_efa_interfaces < 1:
        offered = instances.efa_instance_types(region) if govcloud.is_govcloud(region) else []
        raise ValueError(f"{instance_type} does not support EFA; pass efa=False or choose an "
                         f"EFA-capable type{' offered in ' + region if offered else ''}"
                         f"{': ' + ', '.join(offered) if offered else ''}")
    return instances.efa_layout(instance_type)


def _as_isolated(vpc: object) -> "IsolatedVpc | None":
    from govcdk.constructs.isolated_vpc import IsolatedVpc

    return vpc if isinstance(vpc, IsolatedVpc) else None


def _subnets(isolated: "IsolatedVpc | None", subnets: Sequence[ec2.ISubnet] | None,
             az: str | None, az_prop: str = "availability_zone") -> list[ec2.ISubnet]:
    if subnets is not None:
        subnets = list(subnets)
        if not subnets:
            raise ValueError("subnets: give at least one subnet")
        return subnets
    if isolated is None:
        raise ValueError("subnets is required when vpc is not an IsolatedVpc")
    candidates = isolated.isolated_subnets
    if az is None:
        return candidates[:1]
    chosen = [s for s in candidates if s.availability_zone == az]
    if not chosen:
        have = ", ".join(str(s.availability_zone) for s in candidates)
        raise ValueError(f"{az_prop}={az!r}: the VPC has isolated subnets in {have}")
    return chosen


def _one_az(subnets: Sequence[ec2.ISubnet], region: str) -> str | None:
    azs = []
    for s in subnets:
        try:
            az = s.availability_zone
        except Exception:  # noqa: BLE001 - CDK throws for a subnet imported without its AZ
            az = None
        if az is None or Token.is_unresolved(az):
            if len(subnets) > 1:
                raise ValueError("cannot tell the availability zone of every subnet; give subnets whose "
                                 "availability_zone is known, or one subnet")
            return None
        if az.startswith("dummy"):
            raise ValueError(f"subnet availability zone {az!r} is CDK's placeholder for a stack without "
                             "availability-zone context; use an IsolatedVpc (real GovCloud AZs) or give the "
                             "stack's availability zones")
        if govcloud.is_govcloud(region) and az not in govcloud.region(region).availability_zones:
            raise ValueError(f"subnet availability zone {az!r} is not in {region}; allowed: "
                             f"{', '.join(govcloud.region(region).availability_zones)}")
        azs.append(az)
    if len(set(azs)) > 1:
        raise ValueError(f"subnets span availability zones {', '.join(sorted(set(azs)))}: a cluster "
                         "placement group, a capacity reservation and EFA traffic each stay within one "
                         "availability zone; give subnets in one")
    return azs[0] if azs else None


def _check_types(*, vpc: object, keyring: object, subnets: object, endpoint_security_group: object,
                 launch_tags: object, root_device_name: object, availability_zone: object) -> None:
    """Props of the wrong kind get a ValueError saying what is allowed, not a jsii error."""
    if not hasattr(vpc, "vpc_id") and _as_isolated(vpc) is None:
        raise ValueError(f"vpc={vpc!r}: give an IsolatedVpc or an ec2.IVpc (e.g. ec2.Vpc.from_vpc_attributes)")
    if not callable(getattr(keyring, "key_for", None)):
        raise ValueError(f"keyring={keyring!r}: give the AgencyKeyring whose 'ebs' (and 'fsx') keys to use")
    if subnets is not None:
        if isinstance(subnets, (str, bytes)) or not hasattr(subnets, "__iter__"):
            raise ValueError(f"subnets={subnets!r}: give a list of ec2.ISubnet (e.g. ec2.Subnet.from_subnet_attributes)")
        for sub in subnets:  # type: ignore[union-attr]
            if not hasattr(sub, "subnet_id"):
                raise ValueError(f"subnets: {sub!r} is not an ec2.ISubnet; import subnet ids with "
                                 "ec2.Subnet.from_subnet_attributes(scope, id, subnet_id=..., availability_zone=...)")
    if endpoint_security_group is not None and not hasattr(endpoint_security_group, "security_group_id"):
        raise ValueError(f"endpoint_security_group={endpoint_security_group!r}: give an ec2.ISecurityGroup "
                         "(e.g. ec2.SecurityGroup.from_security_group_id)")
    if availability_zone is not None and not isinstance(availability_zone, str):
        raise ValueError(f"availability_zone={availability_zone!r}: give an availability zone name, e.g. us-gov-west-1a")
    if not (isinstance(root_device_name, str) and ROOT_DEVICE_RE.fullmatch(root_device_name)):
        raise ValueError(f"root_device_name={root_device_name!r}: allowed /dev/sdX, /dev/xvdX or /dev/nvmeNn1 "
                         "(the AMI's root device, /dev/sda1 for the Deep Learning AMI)")
    if launch_tags is not None:
        if not isinstance(launch_tags, Mapping):
            raise ValueError(f"launch_tags={launch_tags!r}: give a mapping of tag key to tag value")
        for k, v in launch_tags.items():
            # the agency file's rule (AWS's): one rule for tags wherever they come from
            problems = [p for p in tag_problems(k, v) if "reserved for govcdk" not in p]
            if not isinstance(k, str) or any(p.startswith("tag key") for p in problems):
                raise ValueError(f"launch_tags: key {k!r}: allowed 1..128 letters, digits, spaces and "
                                 f"_.:/=+-@, not starting with 'aws:' ({'; '.join(problems)})")
            if problems:
                raise ValueError(f"launch_tags[{k!r}]={v!r}: allowed a string of 0..256 letters, digits, "
                                 f"spaces and _.:/=+-@ ({'; '.join(problems)})")
