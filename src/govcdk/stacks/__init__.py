"""Agency stacks: a validated :class:`~govcdk.config.AgencyConfig` in, CloudFormation out.

An agency is four stacks (five at High), deployed in this order:

``<code>-keys``           :class:`KeysStack`: the :class:`~govcdk.constructs.AgencyKeyring`.
``<code>-audit-replica``  :class:`AuditReplicaStack` (when the log archive replicates: always
                          at High), in the other GovCloud Region: the
                          :class:`~govcdk.constructs.AuditLogReplica` and its key.
``<code>-audit``          :class:`AuditStack`: the :class:`~govcdk.constructs.AuditLogging`
                          (log archive, CloudTrail, AWS Config, GuardDuty, Security Hub).
``<code>-network``        :class:`NetworkStack`: the :class:`~govcdk.constructs.IsolatedVpc`.
``<code>-compute``        :class:`ComputeStack`: the :class:`~govcdk.constructs.GpuCluster`.

Why several and not one: the layers have different lifecycles and owners. Keys are retained
for years and guard every other layer's data, so their stack changes rarely and under the
strictest review; the network is long-lived and often owned by a platform team (or adopted
from a landing zone); the compute stack churns with every cluster resize or AMI change.
Separate stacks keep a compute change from ever putting a key policy or a route table in a
change set, let each layer be deployed by a role that can touch only that layer (AC-5,
AC-6), and let the compliance report be read per layer. Later stacks reference earlier ones
through CloudFormation exports, which CloudFormation refuses to break while in use.
"""

from govcdk.stacks.agency import FEATURE_FLAGS, build_app, stack_names
from govcdk.stacks.audit_stack import AuditReplicaStack, AuditStack
from govcdk.stacks.compute_stack import ComputeStack
from govcdk.stacks.keys_stack import KeysStack
from govcdk.stacks.network_stack import NetworkStack

__all__ = ["FEATURE_FLAGS", "AuditReplicaStack", "AuditStack", "ComputeStack", "KeysStack", "NetworkStack",
           "build_app", "stack_names"]
