"""govcdk: compliant-by-construction AI infrastructure for AWS GovCloud (US).

Subpackages: :mod:`govcdk.constructs` (CDK L3 constructs), :mod:`govcdk.stacks` (agency stacks),
:mod:`govcdk.policies` (the FedRAMP Rev 5 policy engine, no CDK import), :mod:`govcdk.scanners`
(cfn-lint and other tools normalized to govcdk findings). Importing this package is cheap: it
imports no AWS CDK code.
"""

__version__ = "0.1.0"
