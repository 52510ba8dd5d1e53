"""``govcdk facts``: regenerate and show the bundled accelerated-instance facts.

- ``govcdk facts refresh --region R [--region R2] --output FILE [--force] [--timeout S]`` builds
  the table (:mod:`govcdk.facts`) from EC2 ``DescribeInstanceTypes`` in GovCloud through boto3,
  with short timeouts and one retry (:func:`client_config`), so an endpoint that never answers
  fails in seconds, naming the endpoint URL;
- ``govcdk facts show TYPE [--format text|json]`` prints one bundled type's facts, its EFA
  network-interface layout and the GovCloud regions that offer it (cfn-lint's region data);
- ``govcdk facts list [--region R]`` lists the bundled types.

Errors are one ``govcdk: error: ...`` line and exit code 2, never a traceback. boto3 is
imported only by ``refresh``, so ``govcdk --help`` stays fast. This module does not import
:mod:`govcdk.cli` at import time (``cli`` imports this module at its end).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import click

GOVCLOUD_REGIONS = ("us-gov-west-1", "us-gov-east-1")


def _usage_error(message: str) -> click.ClickException:
    from govcdk.cli import UsageError

    return UsageError(message)


@click.group()
def facts() -> None:
    """Accelerated EC2 instance facts: refresh them from EC2, show one type, list them."""


DEFAULT_TIMEOUT_S = 15.0
"""``facts refresh --timeout``: seconds to wait for an answer to each request (and at most 10 to
connect)."""

MAX_ATTEMPTS = 2
"""Attempts per request (botocore's ``standard`` retry mode): one retry for a throttled or
dropped call, so a dead endpoint costs at most two timeouts, not botocore's default five."""


def client_config(timeout: float = DEFAULT_TIMEOUT_S):
    """The botocore ``Config`` of the refresh's EC2 clients: ``read_timeout`` ``timeout``
    seconds, ``connect_timeout`` ``min(10, timeout)``, ``standard`` retries with
    :data:`MAX_ATTEMPTS` attempts in all (botocore's default: 60 s, 60 s, 5 attempts, which
    lets an endpoint that accepts and never answers hold the command for minutes)."""
    from botocore.config import Config

    return Config(connect_timeout=min(10.0, timeout), read_timeout=timeout,
                  retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS})


def _aws_error_message(region: str, exc: BaseException, endpoint_url: str | None = None,
                       timeout: float | None = None) -> str:
    """One line naming the region, what went wrong and what to do. Network failures (no
    connection, a timeout, an answer that is no EC2 API response) name the endpoint URL and
    blame the network or endpoint, not the AWS configuration."""
    from botocore.exceptions import (ClientError, ConnectionError, ConnectTimeoutError, EndpointConnectionError,
                                     HTTPClientError, NoCredentialsError, ReadTimeoutError)
    from botocore.parsers import ResponseParserError

    url = getattr(exc, "kwargs", {}).get("endpoint_url") or endpoint_url or "?"
    network = ("check the network, proxy or VPC endpoint (and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2 "
               "if set) and run again")
    if isinstance(exc, ReadTimeoutError):
        waited = f" within {timeout:g} s" if timeout else ""
        return (f"{region}: the EC2 endpoint {url} did not answer{waited} ({MAX_ATTEMPTS} attempts); "
                f"{network}")
    if isinstance(exc, ConnectTimeoutError):
        waited = f" within {min(10.0, timeout):g} s" if timeout else ""
        return f"{region}: cannot connect to the EC2 endpoint {url}{waited} ({MAX_ATTEMPTS} attempts); {network}"
    if isinstance(exc, ResponseParserError):
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return (f"{region}: the EC2 endpoint {url} answered with something that is not an EC2 API response "
                f"({first[:120]}); a proxy or a wrong endpoint URL may be in the way: {network}")
    if isinstance(exc, NoCredentialsError):
        return (f"{region}: no AWS credentials found; configure credentials for an AWS GovCloud (US) "
                "account (AWS_PROFILE, `aws configure` or `aws sso login`) and run again")
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return (f"{region}: EC2 DescribeInstanceTypes was refused ({err.get('Code', 'error')}: "
                f"{err.get('Message', exc)}); use credentials of an AWS GovCloud (US) account "
                "allowed ec2:DescribeInstanceTypes")
    if isinstance(exc, EndpointConnectionError):
        return (f"{region}: cannot reach the EC2 endpoint ({exc.kwargs.get('endpoint_url', '?')}); "
                "check the network, proxy or VPC endpoint and run again")
    if isinstance(exc, (ConnectionError, HTTPClientError)):  # proxy, TLS, connection closed...
        return f"{region}: the connection to the EC2 endpoint {url} failed ({exc}); {network}"
    return (f"{region}: the AWS configuration cannot be used ({exc}); check AWS_PROFILE, "
            "AWS_CONFIG_FILE and the credentials it names, and run again")


def _check_output(output: Path, force: bool) -> None:
    if output.is_dir():
        raise _usage_error(f"--output {output}: is a directory; give a file name")
    if not output.parent.is_dir():
        raise _usage_error(f"--output {output}: directory {output.parent} does not exist")
    if output.exists() and not force:
        raise _usage_error(f"--output {output}: file exists; pass --force to overwrite it")


@facts.command()
@click.option("--region", "regions", multiple=True, required=True, type=click.Choice(GOVCLOUD_REGIONS),
              help="GovCloud region to describe (repeatable); the table is the union.")
@click.option("--output", required=True, type=click.Path(path_type=Path),
              help="JSON file to write (e.g. src/govcdk/data/instance_types.json).")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=300), default=DEFAULT_TIMEOUT_S, show_default=True,
              help="Seconds to wait for each answer from the EC2 endpoint (at most 10 to connect); "
                   f"{MAX_ATTEMPTS} attempts per request.")
def refresh(regions: tuple[str, ...], output: Path, force: bool, timeout: float) -> None:
    """Build the facts table from EC2 DescribeInstanceTypes (needs GovCloud credentials)."""
    _check_output(output, force)
    import boto3

    from govcdk import facts as facts_mod

    from botocore.exceptions import BotoCoreError

    regions = tuple(dict.fromkeys(regions))
    clients = {}
    for r in regions:
        try:
            clients[r] = boto3.client("ec2", region_name=r, config=client_config(timeout))
        except BotoCoreError as exc:  # a missing profile, an unparsable config file...
            raise _usage_error(_aws_error_message(r, exc)) from None
    source = f"EC2 DescribeInstanceTypes in {', '.join(regions)} through boto3 {boto3.__version__}"
    try:
        table = facts_mod.refresh(clients, source=source, generated=datetime.date.today().isoformat())
    except facts_mod.RegionRefreshError as exc:
        endpoint = getattr(getattr(clients[exc.region], "meta", None), "endpoint_url", None)
        raise _usage_error(_aws_error_message(exc.region, exc.error, endpoint, timeout)) from None
    except ValueError as exc:  # two regions describe one type differently
        raise _usage_error(f"{exc}; refresh one region at a time") from None
    if not table["types"]:
        raise _usage_error(f"EC2 described no accelerated instance types in {', '.join(regions)}; "
                           f"{output} not written")
    try:
        facts_mod.write_table(table, output)
    except OSError as exc:
        raise _usage_error(f"--output {output}: cannot write: {exc.strerror or exc}") from None
    click.echo(f"wrote {output} ({len(table['types'])} accelerated types from {', '.join(regions)})")


def _offered_in(instance_type: str) -> list[str]:
    from govcdk import govcloud

    return [r for r in govcloud.REGIONS if instance_type in govcloud.instance_types(r)]


def _accelerator_text(accel: dict[str, Any] | None) -> str:
    if not accel:
        return "none"
    return (f"{accel['count']} x {accel['manufacturer']} {accel['name']} ({accel['kind']}, "
            f"{accel['memory_mib']} MiB each)")


def _cards_text(cards: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``1-3, 5``."""
    runs: list[list[int]] = []
    for c in cards:
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _layout_text(layout: list[Any]) -> str:
    """Consecutive interfaces of one type at one device index, as runs of network cards:
    ``interface at card 0 device 0; efa-only at card 0 device 1; efa-only at cards 1-31 device 0``."""
    groups: list[tuple[str, int, list[int]]] = []
    for i in layout:
        if groups and groups[-1][:2] == (i.interface_type, i.device_index):
            groups[-1][2].append(i.network_card_index)
        else:
            groups.append((i.interface_type, i.device_index, [i.network_card_index]))
    return "; ".join(f"{kind} at card{'s' if len(cards) > 1 else ''} {_cards_text(cards)} device {dev}"
                     for kind, dev, cards in groups)


@facts.command()
@click.argument("instance_type")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(instance_type: str, fmt: str) -> None:
    """Show the bundled facts for INSTANCE_TYPE (any case), its EFA layout and where GovCloud
    offers it."""
    import dataclasses

    from govcdk import instances

    # EC2 instance type names are lower case: P5.48XLARGE means p5.48xlarge.
    if instance_type not in instances.known_instance_types() and \
            instance_type.lower() in instances.known_instance_types():
        instance_type = instance_type.lower()
    try:
        f = instances.facts(instance_type)
    except instances.UnknownInstanceTypeError as exc:
        raise _usage_error(str(exc)) from None
    try:
        layout = instances.efa_layout(instance_type)
    except ValueError:
        layout = None
    regions = _offered_in(instance_type)
    if fmt == "json":
        doc = dataclasses.asdict(f)
        doc["efa_layout"] = None if layout is None else [dataclasses.asdict(i) for i in layout]
        doc["offered_in"] = regions
        click.echo(json.dumps(doc, indent=1, sort_keys=True))
        return
    lines = [
        instance_type,
        f"  accelerator:  {_accelerator_text(f.accelerator)}",
        f"  vCPUs:        {f.vcpus}",
        f"  memory:       {f.memory_mib} MiB",
    ]
    if layout is None:
        lines.append("  EFA:          not supported")
    else:
        lines.append(f"  EFA:          supported; at most {f.maximum_efa_interfaces} EFA interface(s), "
                     f"{f.maximum_network_cards} network card(s)")
        efa = sum(i.interface_type in ("efa", "efa-only") for i in layout)
        lines.append(f"  EFA layout:   {len(layout)} interface{'s' if len(layout) != 1 else ''} ({efa} EFA): {_layout_text(layout)}")
    lines.append(f"  placement:    {', '.join(f.placement_strategies) or 'none'}")
    lines.append(f"  offered in:   {', '.join(regions) or 'neither GovCloud region'} (cfn-lint region data)")
    click.echo("\n".join(lines))


@facts.command("list")
@click.option("--region", type=click.Choice(GOVCLOUD_REGIONS), help="Only types offered in this region.")
def list_(region: str | None) -> None:
    """List the bundled types: accelerators, maximum EFA interfaces, network cards."""
    from govcdk import govcloud, instances

    names = instances.known_instance_types()
    if region is not None:
        offered = govcloud.instance_types(region)
        names = [n for n in names if n in offered]
    for name in names:
        f = instances.facts(name)
        accel = f.accelerator
        acc = f"{accel['count']} x {accel['name']}" if accel else "no accelerator"
        click.echo(f"{name:<18} {acc:<12} max EFA interfaces {f.maximum_efa_interfaces:>2}  "
                   f"network cards {f.maximum_network_cards:>2}")
