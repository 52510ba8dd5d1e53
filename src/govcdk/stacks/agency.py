"""Build the CDK app for one agency: offline, deterministic, GovCloud-correct."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Sequence

from aws_cdk import App, IPolicyValidationPlugin, Validations

from govcdk.config import AgencyConfig
from govcdk.stacks.audit_stack import AuditReplicaStack, AuditStack
from govcdk.stacks.compute_stack import ComputeStack
from govcdk.stacks.keys_stack import KeysStack
from govcdk.stacks.network_stack import NetworkStack


def _load_flags() -> dict:
    text = resources.files("govcdk").joinpath("data", "cdk_feature_flags.json").read_text("utf-8")
    return json.loads(text)["flags"]


FEATURE_FLAGS: dict = _load_flags()
"""The CDK feature flags every agency app is built with: aws-cdk-lib's recommended flags plus
``aws-us-gov`` in ``@aws-cdk/core:target-partitions``. ``cdk.json`` carries the same
(``scripts/gen_cdk_flags.py`` writes both)."""


APP_CONTEXT: dict = {
    **FEATURE_FLAGS,
    # The CDK CLI passes these to `cdk synth`; set them here so `govcdk synth` and
    # `npx cdk synth` write the same templates. Path metadata (aws:cdk:path) lets every
    # finding name its construct; without the stack-trace switches, creation stacks holding
    # jsii temp paths land in cdk.out and it is not byte-identical between runs.
    "aws:cdk:disable-stack-trace": True,
    "aws:cdk:disable-creation-stack-traces": True,
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
}
"""The context of every agency app: :data:`FEATURE_FLAGS` plus what the CDK CLI sets. Use it
for an ``App`` of your own to synthesize exactly as ``govcdk synth`` does."""


def stack_names(config: AgencyConfig) -> list[str]:
    """Stack names in deployment order: ``<code>-keys``, then ``<code>-audit-replica`` (in the
    other GovCloud Region, only when the log archive replicates: always at High), then
    ``<code>-audit``, ``<code>-network``, ``<code>-compute``.

    The replica comes before the audit stack because S3 refuses a replication rule whose
    destination bucket does not exist yet (Amazon S3 User Guide, "Setting up replication")."""
    code = config.agency.code
    replica = [f"{code}-audit-replica"] if config.replicate_audit_logs else []
    return [f"{code}-keys", *replica, f"{code}-audit", f"{code}-network", f"{code}-compute"]


def build_app(config: AgencyConfig, outdir: str | Path | None = None, *,
              validation: Sequence[IPolicyValidationPlugin] = ()) -> App:
    """Compose the agency's stacks into an :class:`aws_cdk.App` (not yet synthesized).

    No context lookups, no credentials: availability zones come from
    :mod:`govcdk.govcloud`, the AMI is a deploy-time SSM parameter, analytics metadata is off,
    so the same agency file gives byte-identical templates.

    ``validation`` are CDK policy-validation plugins (e.g.
    :class:`govcdk.cdk_validation.GovcdkValidation`) run on the templates when the app
    synthesizes (``Validations.of(app).add_plugins``). With any, the app runs in CDK's
    in-memory app mode (context ``@aws-cdk/core:appMode``), so a failing validation makes
    ``synth()`` raise with the whole report in the exception's message (CDK also writes it
    to ``validation-report.json`` in the cloud assembly).
    """
    context = dict(APP_CONTEXT)
    if validation:
        context["@aws-cdk/core:appMode"] = "inmemory"
    app = App(
        outdir=str(outdir) if outdir is not None else None,
        context=context,
        analytics_reporting=False,
        # govcdk runs cfn-lint itself for both GovCloud regions and reports its findings with
        # its own; CDK's built-in "CloudFormation Validate" plugin would duplicate that, print
        # to stderr during synthesis, and write jsii temp paths (new every run) into cdk.out.
        builtin_cloud_formation_validation=False,
    )
    if validation:
        Validations.of(app).add_plugins(*validation)
    code = config.agency.code
    keys = KeysStack(app, f"{code}-keys", config=config)
    # Cross-stack references (key ARNs, VPC and subnet ids) order the deployment by themselves;
    # the replica is in another Region and only named, so its order is stated.
    replica = AuditReplicaStack(app, f"{code}-audit-replica", config=config) \
        if config.replicate_audit_logs else None
    audit = AuditStack(app, f"{code}-audit", config=config, keyring=keys.keyring)
    if replica is not None:
        audit.add_stack_dependency(replica, "S3 replication needs the destination buckets to exist")
    network = NetworkStack(app, f"{code}-network", config=config, keyring=keys.keyring)
    ComputeStack(app, f"{code}-compute", config=config, keyring=keys.keyring, network=network.network)
    return app
