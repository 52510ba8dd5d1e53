"""govcdk: compliant-by-construction AI infrastructure for AWS GovCloud (US).

Subpackages: :mod:`govcdk.constructs` (CDK L3 constructs), :mod:`govcdk.stacks` (agency stacks),
:mod:`govcdk.policies` (the FedRAMP Rev 5 policy engine, no CDK import), :mod:`govcdk.scanners`
(cfn-lint and other tools normalized to govcdk findings). Importing this package is cheap: it
imports no AWS CDK code. ``govcdk.suppress`` (:func:`govcdk.acknowledge.suppress`, which
acknowledges a finding in a construct's Metadata) and ``govcdk.GovcdkValidation``
(:class:`govcdk.cdk_validation.GovcdkValidation`, the rule pack as a CDK policy-validation
plugin: ``Validations.of(app).add_plugins(GovcdkValidation(baseline="high"))``) load the CDK on
first use.
"""

__version__ = "0.1.0"


def __getattr__(name: str):  # noqa: ANN202 - lazy: keep `import govcdk` free of aws_cdk
    """``govcdk.suppress`` (:func:`govcdk.acknowledge.suppress`) and ``govcdk.GovcdkValidation``
    (:class:`govcdk.cdk_validation.GovcdkValidation`) are imported on first use."""
    if name == "suppress":
        from govcdk.acknowledge import suppress

        return suppress
    if name == "GovcdkValidation":
        from govcdk.cdk_validation import GovcdkValidation

        return GovcdkValidation
    raise AttributeError(f"module 'govcdk' has no attribute {name!r}")
