"""Wording of finding messages that reviewers read: protocol numbers named (break test D6)."""

from __future__ import annotations

import pytest

from govcdk.policies.rules.ec2._security_group import ports


@pytest.mark.parametrize("rule, text", [
    ({"IpProtocol": 6, "FromPort": 22, "ToPort": 22}, "tcp (6) port 22"),
    ({"IpProtocol": "17", "FromPort": 53, "ToPort": 53}, "udp (17) port 53"),
    ({"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535}, "tcp ports 0-65535"),
    ({"IpProtocol": "1", "FromPort": -1, "ToPort": -1}, "icmp (1) all ports"),
    ({"IpProtocol": -1}, "all protocols and ports"),
    ({"IpProtocol": "132", "FromPort": 22, "ToPort": 22}, "sctp (132) port 22"),
    ({"IpProtocol": "253", "FromPort": 1, "ToPort": 1}, "253 port 1"),   # experimental: no name
])
def test_security_group_ports_name_the_protocol(rule, text):
    assert ports(rule) == text
