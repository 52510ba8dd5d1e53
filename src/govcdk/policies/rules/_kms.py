"""Customer-managed key verdicts shared by the encryption-at-rest rules.

The decision whether a value names a customer-managed KMS key (a ``Ref``/``Fn::GetAtt`` to an
``AWS::KMS::Key``/``AWS::KMS::ReplicaKey``/``AWS::KMS::Alias`` of the run, an imported or
parameter value when it resolves, a literal key id, key ARN or alias other than
``alias/aws/...``) is :func:`govcdk.policies.helpers.kms_key_result`, already used by
GOV-EC2-005 and GOV-LOGS-002; every rule reuses it unchanged. This module only combines it with
a resource's own encryption switch (``Encrypted``, ``StorageEncrypted``).
"""

from __future__ import annotations

from typing import Any

from ..model import CheckResult, Status


def with_key(out: list[CheckResult], key: CheckResult, value: Any) -> list[CheckResult]:
    """``out`` (the non-passing result on the encryption switch, if any) with the key's result
    ``key`` for the raw key ``value`` when it adds something. An unencrypted resource fails
    whatever its key, so an absent or unresolved key is not reported beside that failure (a
    wrong key is); with no switch result, the key's result alone."""
    if not out:
        return [key]
    switch_failed = out[0].status == Status.FAIL
    if key.status != Status.PASS and not (switch_failed and (key.status == Status.UNKNOWN
                                                             or value is None)):
        out.append(key)
    return out
