"""The moto deployment harness shared by the tests of this package: deploy CloudFormation
templates into moto (no real AWS: moto serves the APIs in-process) as ``cdk deploy`` would, with
the adaptations moto needs, each naming the moto gap it works around.

- :data:`MOTO_UNSUPPORTED`: resource types moto's CloudFormation does not create (the tests
  account for them);
- :data:`MOTO_WORKAROUNDS`: template adaptations for moto bugs (test harness only);
- :func:`apply_public_access_blocks`: what CloudFormation does with a bucket's
  ``PublicAccessBlockConfiguration`` and moto's CloudFormation skips;
- :func:`store_key_policies_as_json`: key policies stored as the KMS API stores them;
- :func:`apply_bucket_logging`: what CloudFormation does with a bucket's
  ``LoggingConfiguration`` and moto's CloudFormation skips;
- :func:`restrict_default_sg_standin`, :func:`cloudtrail_trail_standin`,
  :func:`bucket_policy_standin`: stand-ins for a Lambda handler moto cannot run offline and for
  the ``AWS::CloudTrail::Trail`` and ``AWS::S3::BucketPolicy`` handlers moto lacks.

The fixtures using this live in ``conftest.py`` (package scope: one deployment of each example
agency for every test of the package).
"""

from __future__ import annotations

import copy
import io
import json
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

MOTO_UNSUPPORTED = {
    "AWS::EC2::SecurityGroupEgress": "moto 5.2 CloudFormation has no handler (warns 'not supported')",
    "AWS::EC2::PlacementGroup": "moto 5.2 CloudFormation has no handler (warns 'not supported')",
    "AWS::EC2::NetworkAcl": "moto 5.2 CloudFormation has no handler (warns 'not supported')",
    "AWS::EC2::NetworkAclEntry": "moto 5.2 CloudFormation has no handler (warns 'not supported')",
    "AWS::EC2::SubnetNetworkAclAssociation": "moto 5.2 CloudFormation has no handler "
                                             "(warns 'not supported')",
    "AWS::Route53Resolver::ResolverQueryLoggingConfig": "moto 5.2 CloudFormation has no handler "
                                                        "(warns 'not supported')",
    "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation": "moto 5.2 CloudFormation has no handler "
                                                                   "(warns 'not supported')",
    "AWS::FSx::FileSystem": "moto 5.2 CloudFormation has no handler (warns 'not supported'); moto's FSx "
                            "API exists but CloudFormation does not call it",
    **{f"AWS::Backup::{name}": "moto 5.2 CloudFormation has no handler (warns 'not supported'); moto's "
                               "Backup API exists but CloudFormation does not call it"
       for name in ("BackupVault", "BackupPlan", "BackupSelection")},
    # The audit stacks. moto has APIs for several of these, but its CloudFormation creates none
    # of them; their properties are asserted on the templates (tests/constructs/
    # test_audit_logging.py) and govcdk's rules check them. AWS::CloudTrail::Trail and
    # AWS::S3::BucketPolicy are created by the stand-ins below.
    **{t: "moto 5.2 CloudFormation has no handler (warns 'not supported')"
       for t in ("AWS::Config::ConfigurationRecorder", "AWS::Config::DeliveryChannel",
                 "AWS::GuardDuty::Detector", "AWS::SecurityHub::Hub", "AWS::SecurityHub::Standard")},
}
"""Resource type -> why moto's CloudFormation does not create it."""

IGNORE_UNSUPPORTED = pytest.mark.filterwarnings(
    "ignore:Tried to parse (" + "|".join(t.replace(":", ".") for t in MOTO_UNSUPPORTED)
    + ") but:UserWarning")
"""A test mark (``:`` is ``.`` in the pattern: pytest splits the filter at colons): silence moto's 'not supported' warnings for the types of
:data:`MOTO_UNSUPPORTED`, which moto repeats whenever it lists a stack's resources."""

MOTO_NO_PHYSICAL_ID = {
    "AWS::EC2::SecurityGroupIngress": "moto adds the rule to the group but reports no physical id; "
                                      "test_cluster_security_group_rules reads the rule back instead",
}


def _kms_tags_for_moto(template: dict) -> dict:
    """moto 5.2.5 creates AWS::KMS::Key from CloudFormation with its Tags still in the
    CloudFormation shape (Key/Value) and then fails with KeyError 'TagKey' in its tagging
    service; give moto the KMS API's shape (TagKey/TagValue). Only the test harness does this."""
    t = copy.deepcopy(template)
    for res in t["Resources"].values():
        if res["Type"] == "AWS::KMS::Key" and "Tags" in res.get("Properties", {}):
            res["Properties"]["Tags"] = [{"TagKey": x["Key"], "TagValue": x["Value"]} for x in res["Properties"]["Tags"]]
    return t


def _log_group_key_for_moto(template: dict) -> dict:
    """moto 5.2.5 creates AWS::Logs::LogGroup from CloudFormation by passing the properties to
    its CreateLogGroup, which reads the API's ``kmsKeyId``, so the template's ``KmsKeyId`` is
    dropped (moto/logs/models.py ``LogGroup.__init__``). Give moto the API's name too, so the
    deployed group carries the key CloudFormation would set. Only the test harness does this."""
    t = copy.deepcopy(template)
    for res in t["Resources"].values():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Logs::LogGroup" and "KmsKeyId" in props:
            props["kmsKeyId"] = props["KmsKeyId"]
    return t


MOTO_WORKAROUNDS = [_kms_tags_for_moto, _log_group_key_for_moto]


def apply_public_access_blocks(s3, template: dict, summaries: list[dict]) -> None:
    """What CloudFormation does with ``AWS::S3::Bucket PublicAccessBlockConfiguration`` (calls
    PutPublicAccessBlock) and moto 5.2.5's CloudFormation skips (its
    ``FakeBucket.create_from_cloudformation_json`` applies BucketEncryption and Tags only):
    apply the template's configuration to the deployed bucket. Literal booleans only (what the
    test templates use)."""
    physical = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    for logical_id, res in template["Resources"].items():
        config = res.get("Properties", {}).get("PublicAccessBlockConfiguration")
        if res["Type"] == "AWS::S3::Bucket" and config:
            s3.put_public_access_block(
                Bucket=physical[logical_id],
                PublicAccessBlockConfiguration={k: config.get(k, False) is True for k in (
                    "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                    "RestrictPublicBuckets")})


def store_key_policies_as_json(kms, summaries: list[dict]) -> None:
    """moto 5.2.5 keeps the ``KeyPolicy`` of an ``AWS::KMS::Key`` created from CloudFormation as
    the template's object, not the JSON text the KMS API stores, and its DescribeKey then fails
    (moto/kms/policy_validator.py ``json.loads`` of a dict: TypeError). Store each such key's
    policy back as JSON text through GetKeyPolicy/PutKeyPolicy (the policy is unchanged)."""
    for s in summaries:
        if s["ResourceType"] == "AWS::KMS::Key":
            policy = kms.get_key_policy(KeyId=s["PhysicalResourceId"], PolicyName="default")["Policy"]
            if not isinstance(policy, str):
                kms.put_key_policy(KeyId=s["PhysicalResourceId"], PolicyName="default",
                                   Policy=json.dumps(policy))


def publish_file_assets(s3, assembly: Path, stack_name: str) -> None:
    """What ``cdk deploy`` does before it deploys: upload the stack's file assets (here the
    Lambda code of CDK's Custom::VpcRestrictDefaultSG provider) to the bootstrap bucket named
    in ``<stack>.assets.json``; the bucket is created first, as ``cdk bootstrap`` would."""
    manifest = json.loads((assembly / f"{stack_name}.assets.json").read_text())
    for asset in manifest["files"].values():
        source = assembly / asset["source"]["path"]
        for dest in asset["destinations"].values():
            if dest["bucketName"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
                s3.create_bucket(Bucket=dest["bucketName"],
                                 CreateBucketConfiguration={"LocationConstraint": dest["region"]})
            if asset["source"].get("packaging") == "zip" and source.is_dir():
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as z:
                    for f in sorted(source.rglob("*")):
                        if f.is_file():
                            z.write(f, f.relative_to(source).as_posix())
                body = buf.getvalue()
            else:
                body = source.read_bytes()
            s3.put_object(Bucket=dest["bucketName"], Key=dest["objectKey"], Body=body)


def restrict_default_sg_standin(monkeypatch) -> None:
    """moto runs a Lambda function in a Docker container with the runtime's image, which an
    offline test cannot pull; so moto's invoke is replaced, for the handler of CDK's
    Custom::VpcRestrictDefaultSG only, by a Python stand-in doing what that handler does
    (aws-cdk-lib custom-resource-handlers, restrict-default-security-group: revoke every
    ingress and egress rule of the VPC's default security group) and reporting success to
    moto's CloudFormation, as the handler's response to the ResponseURL would. The template's
    wiring (ServiceToken, DefaultSecurityGroupId) is exercised; the handler's Node.js code is not.
    Any other Lambda invocation fails the test."""
    from moto.awslambda.models import LambdaFunction
    from moto.cloudformation import cloudformation_backends

    def invoke(self, body, request_headers, response_headers):
        event = json.loads(body)
        assert event.get("ResourceType") == "Custom::VpcRestrictDefaultSG", event
        ec2 = boto3.client("ec2", region_name=self.region)
        group_id = event["ResourceProperties"]["DefaultSecurityGroupId"]
        (sg,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
        if sg["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=sg["IpPermissions"])
        if sg["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=sg["IpPermissionsEgress"])
        stack = cloudformation_backends[self.account_id][self.region].get_stack(event["StackId"])
        stack.get_custom_resource(event["LogicalResourceId"]).set_data({})
        stack.verify_readiness()
        return "{}"

    monkeypatch.setattr(LambdaFunction, "invoke", invoke)


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    return value is True or str(value).lower() == "true"


class _TrailStandIn:
    """The ``AWS::CloudTrail::Trail`` handler moto 5.2.5's CloudFormation lacks (it warns
    'not supported' and creates nothing): create the trail through moto's CloudTrail backend
    with the template's properties (AWS CloudFormation User Guide, ``AWS::CloudTrail::Trail``:
    ``IsLogging`` starts or stops logging, ``IncludeGlobalServiceEvents`` defaults to true, the
    other flags to false) and report the trail name as the physical id, as CloudFormation does."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudTrail::Trail"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "TrailName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        from moto.cloudtrail.models import cloudtrail_backends

        p = cloudformation_json["Properties"]
        backend = cloudtrail_backends[account_id][region_name]
        trail = backend.create_trail(
            name=resource_name, bucket_name=p["S3BucketName"], s3_key_prefix=p.get("S3KeyPrefix"),
            sns_topic_name=p.get("SnsTopicName"),
            is_global=_flag(p.get("IncludeGlobalServiceEvents"), True),
            is_multi_region=_flag(p.get("IsMultiRegionTrail"), False),
            log_validation=_flag(p.get("EnableLogFileValidation"), False),
            is_org_trail=_flag(p.get("IsOrganizationTrail"), False),
            cw_log_group_arn=p.get("CloudWatchLogsLogGroupArn"),
            cw_role_arn=p.get("CloudWatchLogsRoleArn"), kms_key_id=p.get("KMSKeyId"),
            tags_list=p.get("Tags", []))
        if _flag(p.get("IsLogging"), False):
            backend.start_logging(resource_name)
        # What moto's CloudFormation reads from the models it creates (CloudFormationModel).
        trail.physical_resource_id = resource_name
        trail.get_cfn_attribute = lambda name: trail.arn
        trail.is_created = lambda: True
        trail.delete = lambda account_id, region_name: backend.delete_trail(resource_name)
        return trail


class _BucketPolicyStandIn:
    """The ``AWS::S3::BucketPolicy`` handler moto 5.2.5's CloudFormation lacks (it warns 'not
    supported' and creates nothing): put the template's policy (intrinsic functions already
    resolved by moto) on the bucket through moto's S3 backend, as CloudFormation's
    PutBucketPolicy does, and report the bucket name as the physical id (AWS CloudFormation
    User Guide, ``AWS::S3::BucketPolicy``: ``Ref`` returns the bucket name).

    moto evaluates a bucket policy on object requests only, and without conditions (its
    ``put_bucket_policy`` docstring), so a TLS-deny statement would refuse object reads and
    writes in these buckets; no test puts or gets objects there."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        p = cloudformation_json["Properties"]
        backend = s3_backends[account_id][get_partition(region_name)]
        bucket = p["Bucket"]
        backend.put_bucket_policy(bucket, json.dumps(p["PolicyDocument"]).encode())
        policy = type("BucketPolicy", (), {})()
        policy.physical_resource_id = bucket
        policy.is_created = lambda: True
        policy.delete = lambda account_id, region_name: backend.delete_bucket_policy(bucket)
        return policy


def _register_standin(monkeypatch, model: type, name_property: str | None = None) -> None:
    """Register ``model`` as moto's CloudFormation handler of ``model.cloudformation_type()``
    (for the monkeypatch's lifetime); ``name_property`` is the property that names the resource
    (moto uses it as the physical name), if any."""
    from moto.cloudformation import parsing

    rtype = model.cloudformation_type()
    model_map, name_map = parsing.get_model_map, parsing.get_name_type_map
    monkeypatch.setattr(parsing, "get_model_map", lambda: {**model_map(), rtype: model})
    if name_property:
        monkeypatch.setattr(parsing, "get_name_type_map", lambda: {**name_map(), rtype: name_property})


def cloudtrail_trail_standin(monkeypatch) -> None:
    """Register :class:`_TrailStandIn` as moto's CloudFormation handler of
    ``AWS::CloudTrail::Trail`` (for the monkeypatch's lifetime)."""
    _register_standin(monkeypatch, _TrailStandIn, "TrailName")


def bucket_policy_standin(monkeypatch) -> None:
    """Register :class:`_BucketPolicyStandIn` as moto's CloudFormation handler of
    ``AWS::S3::BucketPolicy`` (for the monkeypatch's lifetime)."""
    _register_standin(monkeypatch, _BucketPolicyStandIn)


def apply_bucket_logging(s3, template: dict, summaries: list[dict]) -> None:
    """What CloudFormation does with ``AWS::S3::Bucket LoggingConfiguration`` (calls
    PutBucketLogging) and moto 5.2.5's CloudFormation skips: apply it to the deployed bucket.
    ``DestinationBucketName`` is a ``Ref`` to a bucket of the template, a literal name, or absent
    (the bucket logs into itself, as CloudFormation defaults it); ``LogFilePrefix`` a literal.
    moto's PutBucketLogging, like S3, wants the destination to exist in the same Region and to
    grant ``logging.s3.amazonaws.com`` s3:PutObject on ``<bucket>/<prefix>*`` (the
    destination's policy, put by :class:`_BucketPolicyStandIn`), so this also checks that grant."""
    physical = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    for logical_id, res in template["Resources"].items():
        config = res.get("Properties", {}).get("LoggingConfiguration")
        if res["Type"] != "AWS::S3::Bucket" or not isinstance(config, dict):
            continue
        dest = config.get("DestinationBucketName", {"Ref": logical_id})
        target = physical[dest["Ref"]] if isinstance(dest, dict) else dest
        enabled = {"TargetBucket": target, "TargetPrefix": config.get("LogFilePrefix", "")}
        s3.put_bucket_logging(Bucket=physical[logical_id], BucketLoggingStatus={"LoggingEnabled": enabled})


def wait_for_stack(cfn, name: str) -> dict:
    for _ in range(100):
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            break
        time.sleep(0.1)
    return stack


def deploy_template(session: boto3.session.Session, name: str, template: dict,
                    tags: dict[str, str] | None = None) -> list[dict]:
    """Create stack ``name`` from ``template`` (after :data:`MOTO_WORKAROUNDS`) with stack
    ``tags``, wait for CREATE_COMPLETE, apply :func:`apply_public_access_blocks`,
    :func:`apply_bucket_logging` and :func:`store_key_policies_as_json` and return its
    ListStackResources summaries. moto's 'not supported' warnings for the types in
    :data:`MOTO_UNSUPPORTED` are silenced here (the tests account for those types)."""
    cfn = session.client("cloudformation")
    body = template
    for fix in MOTO_WORKAROUNDS:
        body = fix(body)
    with warnings.catch_warnings():
        for rtype in MOTO_UNSUPPORTED:
            warnings.filterwarnings("ignore", message=f"Tried to parse {rtype} but",
                                    category=UserWarning)
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(body),
                         Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
        stack = wait_for_stack(cfn, name)
        # moto creates the resources when they are first read
        summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", (name, stack.get("StackStatusReason"))
    s3 = session.client("s3")
    apply_public_access_blocks(s3, template, summaries)
    apply_bucket_logging(s3, template, summaries)
    store_key_policies_as_json(session.client("kms"), summaries)
    return summaries


SERVICES = ("cloudformation", "ec2", "kms", "ssm", "logs", "autoscaling", "s3", "cloudtrail")
"""The clients :func:`deploy_agency` returns, by service name."""


def deploy_agency(config, templates: dict, assembly: Path) -> tuple[dict, dict[str, list[dict]]]:
    """Deploy the agency's stacks in order (:func:`govcdk.stacks.stack_names`) into the current
    moto account, each in the Region of its cloud assembly environment (the audit replica in
    the other GovCloud Region), as ``cdk deploy`` would (bootstrap version parameter and file
    assets in each Region, AMI parameter, the manifest's stack tags). Returns ``(clients,
    stack name -> resource summaries)``: ``clients`` maps each name of :data:`SERVICES` to the
    agency Region's client, and each Region deployed to (e.g. ``"us-gov-east-1"``) to that
    Region's clients by service name."""
    from govcdk.stacks import stack_names

    manifest = json.loads((assembly / "manifest.json").read_text())
    regions = {name: manifest["artifacts"][name]["environment"].rsplit("/", 1)[1] for name in templates}
    sessions = {r: boto3.session.Session(region_name=r) for r in sorted({*regions.values(), config.region})}
    by_region = {r: {n: session.client(n) for n in SERVICES} for r, session in sessions.items()}
    for cl in by_region.values():  # cdk bootstrap, in each Region (another agency may have done it)
        cl["ssm"].put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String",
                                Overwrite=True)
    clients: dict = {**by_region[config.region], **by_region}
    if config.ami_parameter:
        ami = clients["ec2"].describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        clients["ssm"].put_parameter(Name=config.ami_parameter, Value=ami, Type="String")
    resources: dict[str, list[dict]] = {}
    for name in stack_names(config):  # deployment order: keys, audit replica, audit, network, compute
        region = regions[name]
        publish_file_assets(by_region[region]["s3"], assembly, name)
        tags = manifest["artifacts"][name]["properties"].get("tags")
        resources[name] = deploy_template(sessions[region], name, templates[name], tags)
    return clients, resources
