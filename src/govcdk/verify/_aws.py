"""The AWS side of ``govcdk verify``: the clients it reads through, the API operations it calls
with the IAM permission each needs, and the translation of botocore errors into
:class:`VerifyError` messages (never a traceback).

Nothing here creates, changes or deletes anything: every operation in :data:`OPERATIONS` is a
read (``Describe*``, ``Get*``, ``List*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

SERVICES = ("cloudformation", "kms", "ec2", "s3", "s3control", "cloudtrail", "logs")
"""The boto3 client names :class:`Clients` holds."""

OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("cloudformation", "describe_stacks"): ("DescribeStacks", "cloudformation:DescribeStacks"),
    ("cloudformation", "list_stack_resources"): ("ListStackResources",
                                                 "cloudformation:ListStackResources"),
    ("cloudformation", "get_template"): ("GetTemplate", "cloudformation:GetTemplate"),
    ("kms", "describe_key"): ("DescribeKey", "kms:DescribeKey"),
    ("kms", "get_key_rotation_status"): ("GetKeyRotationStatus", "kms:GetKeyRotationStatus"),
    ("ec2", "describe_vpcs"): ("DescribeVpcs", "ec2:DescribeVpcs"),
    ("ec2", "describe_flow_logs"): ("DescribeFlowLogs", "ec2:DescribeFlowLogs"),
    ("ec2", "describe_internet_gateways"): ("DescribeInternetGateways",
                                            "ec2:DescribeInternetGateways"),
    ("ec2", "describe_egress_only_internet_gateways"): (
        "DescribeEgressOnlyInternetGateways", "ec2:DescribeEgressOnlyInternetGateways"),
    ("ec2", "describe_nat_gateways"): ("DescribeNatGateways", "ec2:DescribeNatGateways"),
    ("ec2", "describe_route_tables"): ("DescribeRouteTables", "ec2:DescribeRouteTables"),
    ("s3", "get_bucket_encryption"): ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    ("s3", "get_public_access_block"): ("GetPublicAccessBlock",
                                        "s3:GetBucketPublicAccessBlock"),
    ("s3", "get_bucket_logging"): ("GetBucketLogging", "s3:GetBucketLogging"),
    ("s3control", "get_public_access_block"): ("GetPublicAccessBlock (account)",
                                               "s3:GetAccountPublicAccessBlock"),
    ("cloudtrail", "get_trail"): ("GetTrail", "cloudtrail:GetTrail"),
    ("cloudtrail", "get_trail_status"): ("GetTrailStatus", "cloudtrail:GetTrailStatus"),
    ("logs", "describe_log_groups"): ("DescribeLogGroups", "logs:DescribeLogGroups"),
}
"""(client, method) -> (API operation, IAM action it needs). Note the S3 actions: GetBucketEncryption
needs ``s3:GetEncryptionConfiguration`` and GetPublicAccessBlock ``s3:GetBucketPublicAccessBlock``
(bucket) or ``s3:GetAccountPublicAccessBlock`` (account) (Service Authorization Reference,
"Actions defined by Amazon S3")."""

REQUIRED_PERMISSIONS: tuple[str, ...] = tuple(sorted({a for _, a in OPERATIONS.values()}))
"""Every IAM action ``govcdk verify`` uses, sorted: what the policy of the role it runs as must
allow. All are reads."""

ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "AuthorizationError", "Forbidden",
})
CREDENTIALS_REJECTED = frozenset({
    "UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId",
    "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "AuthFailure",
    "InvalidToken", "RequestExpired",
})


class VerifyError(Exception):
    """Verification could not run; the message says why and what to do. The CLI prints it and
    exits with code 2."""


class AwsAccessError(VerifyError):
    """No usable credentials, credentials AWS rejects, or a permission missing (the message
    names the API operation and the IAM action it needs)."""


class AwsConnectionError(VerifyError):
    """An AWS endpoint could not be reached (network, proxy, wrong region or endpoint)."""


class AwsApiError(VerifyError):
    """Any other error of an API call that stops the run (throttling after retries, a service
    error while listing stacks)."""


class StackNotFoundError(VerifyError):
    """A stack named with ``--stack`` (``stacks=``) does not exist in the region."""


@dataclass(frozen=True)
class Absent:
    """What :meth:`Api.call` returns instead of a response when the call failed with an error
    code the caller expects (``NoSuchBucket``, ``NotFoundException``...). It is falsy."""

    code: str
    message: str = ""

    def __bool__(self) -> bool:
        return False


def _client_error_parts(exc: Any) -> tuple[str, str]:
    error = getattr(exc, "response", {}).get("Error", {}) or {}
    return str(error.get("Code", "")), str(error.get("Message", ""))


class Clients:
    """The boto3 clients verify reads through, one per name in :data:`SERVICES` (attributes
    ``cloudformation``, ``kms``...), all for one region. Build it with :meth:`from_session`
    (clients created on first use: a run that meets no bucket never creates the S3 clients) or
    :meth:`from_mapping`; tests pass moto-backed clients the same way (nothing is patched)."""

    def __init__(self, factory: Callable[[str], Any]) -> None:
        self._factory = factory
        self._made: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in SERVICES:
            raise AttributeError(name)
        if name not in self._made:
            import botocore.exceptions as bx

            try:
                self._made[name] = self._factory(name)
            except bx.BotoCoreError as exc:  # NoRegionError, UnknownServiceError...
                raise VerifyError(f"cannot create the {name} client: {exc}") from None
        return self._made[name]

    @classmethod
    def from_session(cls, session: Any, *, config: Any = None) -> "Clients":
        """Clients of a ``boto3.Session`` (its region and credentials), with a botocore
        ``config`` when given. Creating a client calls nothing; errors come with the first
        call."""
        if config is None:
            return cls(session.client)
        return cls(lambda name: session.client(name, config=config))

    @classmethod
    def from_mapping(cls, clients: Mapping[str, Any]) -> "Clients":
        """Clients from ``{"cloudformation": client, ...}``. Raises :class:`VerifyError` naming
        the services missing from the mapping."""
        missing = [name for name in SERVICES if name not in clients]
        if missing:
            raise VerifyError(f"clients: no client for {', '.join(missing)} (verify needs "
                              f"{', '.join(SERVICES)})")
        return cls(dict(clients).__getitem__)

    @classmethod
    def of(cls, source: Any) -> "Clients":
        """:class:`Clients` from a :class:`Clients`, a mapping of clients, or a boto3
        ``Session`` (anything with a ``client`` method)."""
        if isinstance(source, Clients):
            return source
        if isinstance(source, Mapping):
            return cls.from_mapping(source)
        if callable(getattr(source, "client", None)):
            return cls.from_session(source)
        raise VerifyError(f"clients: expected a boto3 Session, a mapping of boto3 clients or "
                          f"govcdk.verify.Clients, got {type(source).__name__}")

    def region(self) -> str | None:
        """The region of the CloudFormation client, when it says."""
        meta = getattr(self.cloudformation, "meta", None)
        return getattr(meta, "region_name", None)


class Api:
    """Calls the read operations of :data:`OPERATIONS` and turns botocore errors into
    :class:`VerifyError` subclasses, or into :class:`Absent` for the error codes a caller
    expects (a resource that no longer exists, a configuration never set)."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients

    def call(self, service: str, method: str, *, expect: frozenset[str] | set[str] = frozenset(),
             **params: Any) -> dict[str, Any] | Absent:
        """``clients.<service>.<method>(**params)``. Returns the response, or an :class:`Absent`
        (falsy, with the code) when the call failed with an error code in ``expect``. Raises :class:`AwsAccessError` (no or
        rejected credentials, access denied: the message names the operation and the IAM
        action), :class:`AwsConnectionError` (endpoint unreachable) or :class:`AwsApiError`
        (any other failure)."""
        import botocore.exceptions as bx

        operation, action = OPERATIONS[(service, method)]
        client = getattr(self.clients, service)
        try:
            return getattr(client, method)(**params)
        except bx.ClientError as exc:
            code, message = _client_error_parts(exc)
            if code in expect:
                return Absent(code, message)
            if code in ACCESS_DENIED:
                raise AwsAccessError(
                    f"{operation} was denied ({code}): the credentials in use need the IAM "
                    f"permission {action} (govcdk verify needs {', '.join(REQUIRED_PERMISSIONS)}); "
                    f"AWS said: {message}") from None
            if code in CREDENTIALS_REJECTED:
                raise AwsAccessError(
                    f"{operation}: AWS rejected the credentials ({code}: {message}); refresh "
                    f"them or choose another --profile") from None
            raise AwsApiError(f"{operation} failed ({code or 'error'}): {message}") from None
        except bx.NoCredentialsError:
            raise AwsAccessError(
                f"{operation}: no AWS credentials found; set AWS_PROFILE or pass --profile, "
                f"or provide credentials through the environment (AWS_ACCESS_KEY_ID, "
                f"AWS_SECRET_ACCESS_KEY) or an instance/role") from None
        except (bx.PartialCredentialsError, bx.CredentialRetrievalError,
                bx.TokenRetrievalError, bx.SSOError, bx.ProfileNotFound) as exc:
            raise AwsAccessError(f"{operation}: AWS credentials could not be loaded: {exc}") from None
        except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
                bx.ProxyConnectionError, bx.SSLError) as exc:
            raise AwsConnectionError(
                f"{operation}: could not reach the AWS endpoint ({exc}); check the network, "
                f"proxy and region") from None
        except bx.BotoCoreError as exc:
            raise AwsApiError(f"{operation} failed: {exc}") from None

    def pages(self, service: str, method: str, key: str, *, token: str = "NextToken",
              expect: frozenset[str] | set[str] = frozenset(), **params: Any) -> Iterator[Any]:
        """The items under ``key`` of every page of a paginated operation (the request and
        response token are both named ``token``). Nothing when the first call failed with an
        error code in ``expect``."""
        request = dict(params)
        while True:
            response = self.call(service, method, expect=expect, **request)
            if not response:
                return
            yield from response.get(key) or []
            next_token = response.get(token)
            if not next_token:
                return
            request[token] = next_token
