"""GpuCluster: an EFA-connected GPU training cluster with no path to the internet.

Controls: SC-7 / SC-7(5) (security group closed to itself), AC-3 / CM-6 (IMDSv2), SC-28(1)
(EBS encrypted with a customer-managed key), AC-17 (SSM only, no key pair), CA-7 (detailed
monitoring).
"""

from __future__ import annotations

from typing import Mapping

from aws_cdk import Aws, CfnMapping, CfnParameter, CfnTag, Fn, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from govcdk import govcloud, instances

USER_DATA = """#!/bin/bash
# govcdk: FIPS 140-3 endpoints for every AWS SDK and CLI on the node. Nothing is downloaded:
# the AMI carries the EFA installer, NCCL and drivers.
set -euo pipefail
echo 'AWS_USE_FIPS_ENDPOINT=true' >> /etc/environment
"""


class GpuCluster(Construct):
    """A fixed-size Auto Scaling group of GPU nodes in one cluster placement group.

    - Launch template: IMDSv2 required with hop limit 1 (2 when ``containers=True``); gp3 root
      volume encrypted with ``ebs_key``; no key pair; an instance profile with
      ``AmazonSSMManagedInstanceCore`` (partition-aware managed-policy ARN); detailed
      monitoring; user data that turns on FIPS endpoints and downloads nothing.
    - Network interfaces: the EFA layout of :func:`govcdk.instances.efa_layout` (EC2 User
      Guide, "Maximize network bandwidth on Amazon EC2 instances with multiple network cards"),
      no public IP.
    - Security group: all traffic to and from itself only (EFA OS bypass requires it, EC2 User
      Guide "Prepare an EFA-enabled security group"), TCP 443 to the VPC endpoints' security
      group, nothing else.
    - Placement: a cluster placement group in one subnet (EFA does not cross availability
      zones).
    - AMI: the CloudFormation parameter ``GpuAmiId`` of type
      ``AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`` defaulting to ``ami_ssm_parameter``,
      resolved at deploy time, never looked up at synth time. The image must carry the EFA
      software and NCCL (AWS Deep Learning AMI or equivalent).

    :param vpc: the VPC (an :class:`~govcdk.constructs.IsolatedVpc`'s ``.vpc``).
    :param subnet: the one subnet nodes launch in.
    :param endpoint_security_group: the VPC endpoints' security group (443 egress target).
    :param ebs_key: customer-managed key for EBS (the keyring's ``ebs`` key).
    :param instance_type: an EFA-capable accelerated type offered in the stack's region.
    :param node_count: 1..``max_nodes`` (default ``max_nodes`` 64).
    :param ami_ssm_parameter: SSM parameter name holding the AMI id.
    :param root_volume_gib: root volume size, GiB (default 512).
    :param root_device_name: default ``/dev/sda1`` (Deep Learning AMI, Ubuntu).
    :param containers: allow IMDS hop limit 2 for containers (default False).
    :param launch_tags: tags for the launch template and, through its ``TagSpecifications``,
        every instance, volume and network interface it launches (CDK's ``Tags`` do not reach
        into launch-template data).
    :raises ValueError: node count outside 1..max_nodes, instance type not offered in the
        region (the message lists the accelerated types offered there), unknown type, type
        without EFA.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        subnet: ec2.ISubnet,
        endpoint_security_group: ec2.ISecurityGroup,
        ebs_key: kms.IKey,
        instance_type: str,
        node_count: int,
        ami_ssm_parameter: str,
        max_nodes: int = 64,
        root_volume_gib: int = 512,
        root_device_name: str = "/dev/sda1",
        containers: bool = False,
        launch_tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        if not 1 <= node_count <= max_nodes:
            raise ValueError(f"node_count={node_count}: allowed 1..{max_nodes}")
        region = Stack.of(self).region
        if govcloud.is_govcloud(region) and instance_type not in govcloud.instance_types(region):
            raise ValueError(
                f"instance type {instance_type} is not offered in {region}; EFA-capable accelerated "
                f"types offered there: {', '.join(instances.efa_instance_types(region))}")
        layout = instances.efa_layout(instance_type)
        self.instance_facts = instances.facts(instance_type)

        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
            description="GPU nodes: all traffic within the cluster (EFA), HTTPS to VPC endpoints",
        )
        self.security_group.add_ingress_rule(self.security_group, ec2.Port.all_traffic(), "EFA: all traffic from cluster nodes")
        self.security_group.add_egress_rule(self.security_group, ec2.Port.all_traffic(), "EFA: all traffic to cluster nodes")
        self.security_group.add_egress_rule(endpoint_security_group, ec2.Port.tcp(443), "HTTPS to VPC endpoints")

        self.role = iam.Role(
            self, "NodeRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")],
            description="GPU training nodes: managed through SSM only",
        )
        profile = iam.CfnInstanceProfile(self, "InstanceProfile", roles=[self.role.role_name])

        self.ami_parameter = CfnParameter(
            self, "GpuAmiId", type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            default=ami_ssm_parameter,
            description="SSM parameter holding the GPU AMI id (must carry EFA and NCCL)",
        )
        self.ami_parameter.override_logical_id("GpuAmiId")

        self.placement_group = ec2.CfnPlacementGroup(self, "PlacementGroup", strategy="cluster")

        # The instance type is written per region: this template carries it only for the
        # region it was validated against (govcloud.instance_types), so it cannot be launched
        # by mistake where the type is not offered. AgencyStack's TargetRegion rule makes a
        # deployment to another region fail with a clear message.
        type_map = CfnMapping(self, "InstanceTypeByRegion",
                              mapping={region: {"InstanceType": instance_type}})
        type_map.override_logical_id("GpuInstanceTypeByRegion")

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
                placement=ec2.CfnLaunchTemplate.PlacementProperty(group_name=self.placement_group.ref),
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
            vpc_zone_identifier=[subnet.subnet_id],
        )
