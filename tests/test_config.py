"""AgencyConfig: the reference file validates; each kind of bad input gets one clear message
naming the file, the field, the bad value and what is allowed."""

from pathlib import Path

import pytest
import yaml

from govcdk.config import AgencyConfigError, ImpactLevel, load_agency

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = yaml.safe_load((ROOT / "agencies" / "reference.yaml").read_text())


def test_reference_agency():
    cfg = load_agency(ROOT / "agencies" / "reference.yaml")
    assert cfg.impact_level is ImpactLevel.HIGH
    assert cfg.region == "us-gov-west-1"
    assert cfg.cluster.instance_type == "p5.48xlarge" and cfg.cluster.node_count == 2
    assert cfg.network.cidr == "10.40.0.0/16"
    assert cfg.logging.retention_days == 365


def _write(tmp_path, **changes):
    data = yaml.safe_load(yaml.safe_dump(REFERENCE))
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[p]
        if value is ...:
            del node[leaf]
        else:
            node[leaf] = value
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("changes, expected", [
    ({"impact_level": "hi"}, r"field impact_level: bad value 'hi': Input should be 'low', 'moderate' or 'high'"),
    ({"region": "us-east-1"}, r"field region: bad value 'us-east-1': allowed: us-gov-west-1, us-gov-east-1"),
    ({"account": "12345"}, r"field account: bad value '12345': allowed: a 12-digit AWS account id"),
    ({"cluster__node_count": 0}, r"field cluster.node_count: bad value 0: allowed 1..64"),
    ({"cluster__node_count": 65}, r"field cluster.node_count: bad value 65: allowed 1..64"),
    ({"network__cidr": "10.40.0.0/33"}, r"field network.cidr: bad value '10.40.0.0/33': not an IPv4 network"),
    ({"network__cidr": "10.40.0.1/16"}, r"field network.cidr: bad value '10.40.0.1/16': not an IPv4 network.*host bits"),
    ({"network__cidr": "8.8.0.0/16"}, r"field network.cidr: bad value '8.8.0.0/16': must lie in a private \(RFC 1918\) range"),
    ({"network__cidr": "127.0.0.0/16"}, r"field network.cidr: bad value '127.0.0.0/16': must lie in a private \(RFC 1918\) range"),
    ({"network__cidr": "169.254.0.0/16"}, r"must lie in a private \(RFC 1918\) range"),
    ({"network__cidr": "10.0.0.0/8"}, r"field network.cidr: bad value '10.0.0.0/8': prefix length must be /16 to /24"),
    ({"network__az_count": 4}, r"field network.az_count: bad value 4: allowed 2..3"),
    ({"logging__retention_days": 90}, r"field logging.retention_days: bad value 90: allowed: 365, 400, .* \(AU-11"),
    ({"logging__retention_days": 366}, r"field logging.retention_days: bad value 366: allowed: 365, 400"),
    ({"agency__code": "AIRX"}, r"field agency.code: bad value 'AIRX': allowed: 2..12 characters: a lower-case letter"),
    ({"agency__system_id": "bad id"}, r"field agency.system_id: bad value 'bad id': allowed: upper-case letters"),
    ({"colour": "blue"}, r"field colour: bad value 'blue': unknown field; allowed fields here: agency, impact_level"),
    ({"cluster__instance_type": "p4.nope"}, r"field cluster.instance_type: bad value 'p4.nope': unknown instance type \(no EC2 instance type of that name in AWS GovCloud \(US\)\); EFA-capable accelerated types offered there: .*p5.48xlarge"),
    ({"cluster__instance_type": "p99.48xlarge"}, r"bad value 'p99.48xlarge': unknown instance type"),
    ({"region": "us-gov-east-1"}, r"field cluster.instance_type: bad value 'p5.48xlarge': not offered in us-gov-east-1 \(offered in us-gov-west-1\); EFA-capable accelerated types offered there: .*p6-b200.48xlarge"),
    ({"cluster__instance_type": "p6-b300.48xlarge"}, r"bad value 'p6-b300.48xlarge': not offered in us-gov-west-1 \(offered in us-gov-east-1\)"),
    ({"cluster__instance_type": "t3.micro"}, r"bad value 't3.micro': offered in us-gov-west-1 but not an accelerated type govcdk has facts for; EFA-capable"),
    ({"cluster__instance_type": "g4dn.xlarge"}, r"bad value 'g4dn.xlarge': offered in us-gov-west-1 but without EFA; EFA-capable accelerated types offered there: .*p5.48xlarge"),
    ({"cluster__instance_type": "P5.48XLARGE"}, r"allowed: an EC2 instance type name in lower case, e.g. p5.48xlarge"),
    ({"cluster__node_count": True}, r"field cluster.node_count: bad value True: Input should be a valid integer \(got a boolean\); allowed a whole number 1..64$"),
    # a value of the wrong type also says what is allowed (new-user test D11)
    ({"cluster__node_count": "2"}, r"field cluster.node_count: bad value '2': Input should be a valid integer \(got a string\); allowed a whole number 1..64$"),
    ({"cluster__node_count": 2.5}, r"field cluster.node_count: bad value 2.5: .*\(got a number\); allowed a whole number 1..64$"),
    ({"cluster__lustre": {"storage_capacity_gib": "4800"}}, r"field cluster.lustre.storage_capacity_gib: bad value '4800': .*\(got a string\); allowed 1200 or a multiple of 2400 \(GiB"),
    ({"network__cidr": "10.40.0.0"}, r"field network.cidr: bad value '10.40.0.0': no prefix length, so it reads as 10.40.0.0/32 \(one address\); give the network with a prefix of /16 to /24, e.g. 10.40.0.0/16$"),
    ({"cluster__ami_ssm_parameter": "no-slash"}, r"allowed: an SSM parameter name: '/' then letters"),
    ({"account": 111111111111}, r'field account: bad value 111111111111: write the account id in quotes'),
    ({"cluster": ...}, r"field cluster: required field is missing"),
    # cluster options (issue 4)
    ({"cluster__availability_zone": "us-gov-west-1d"}, r"field cluster.availability_zone: bad value 'us-gov-west-1d': allowed: the network's availability zones in us-gov-west-1: us-gov-west-1a, us-gov-west-1b, us-gov-west-1c"),
    ({"network__az_count": 2, "cluster__availability_zone": "us-gov-west-1c"}, r"availability zones in us-gov-west-1: us-gov-west-1a, us-gov-west-1b$"),
    ({"cluster__ami_ids": {"us-gov-west-1": "ami-0123456789abcdef0"}}, r"field cluster.ami_ids: .*give either ami_ssm_parameter or ami_ids, not both"),
    ({"cluster__ami_ssm_parameter": ..., "cluster__ami_ids": {"us-gov-east-1": "ami-0123456789abcdef0"}}, r"field cluster.ami_ids: .*no AMI id for the agency's region us-gov-west-1"),
    ({"cluster__ami_ssm_parameter": ..., "cluster__ami_ids": {"us-gov-west-1": "ami-xyz"}}, r"'ami-xyz' is not an AMI id; allowed 'ami-' and 8 or 17"),
    ({"cluster__ami_ssm_parameter": ..., "cluster__ami_ids": {"us-east-1": "ami-0123456789abcdef0"}}, r"'us-east-1' is not a GovCloud \(US\) region"),
    ({"cluster__capacity": {"type": "capacity-block"}}, r"field cluster.capacity.reservation_id: bad value \(nothing\): required for type capacity-block"),
    ({"cluster__capacity": {"type": "on-demand", "reservation_id": "cr-0123456789abcdef0"}}, r"field cluster.capacity.reservation_id: .*only for type capacity-reservation or capacity-block"),
    ({"cluster__capacity": {"type": "capacity-reservation", "reservation_id": "cr-XYZ"}}, r"field cluster.capacity.reservation_id: bad value 'cr-XYZ': allowed: a capacity reservation id"),
    ({"cluster__capacity": {"type": "spot"}}, r"field cluster.capacity.type: bad value 'spot': Input should be 'on-demand', 'capacity-reservation' or 'capacity-block'"),
    ({"cluster__lustre": {"storage_capacity_gib": 1300}}, r"field cluster.lustre.storage_capacity_gib: bad value 1300: allowed 1200 or a multiple of 2400"),
    ({"cluster__lustre": {"throughput_per_tib": 200}}, r"field cluster.lustre.throughput_per_tib: bad value 200: allowed 125, 250, 500, 1000"),
    # EFA-enabled Lustre sizes (FSx for Lustre User Guide, "Increasing storage capacity", D1)
    ({"cluster__lustre": {"storage_capacity_gib": 2400, "throughput_per_tib": 500, "efa": True}},
     r"field cluster.lustre.storage_capacity_gib: bad value 2400: with efa: true at throughput_per_tib 500: an EFA-enabled FSx for Lustre file system needs a storage capacity that is a multiple of 38400 GiB at 125, 19200 GiB at 250, 9600 GiB at 500, 4800 GiB at 1000 MB/s per TiB .*; 2400 GiB is a multiple of none of these; or leave efa out"),
    ({"cluster__lustre": {"storage_capacity_gib": 9600, "throughput_per_tib": 250, "efa": True}},
     r"9600 GiB allows EFA at throughput_per_tib 500, 1000; or leave efa out"),
    ({"cluster__lustre": {"backup_retention_days": 91}}, r"field cluster.lustre.backup_retention_days: bad value 91: allowed 0..90"),
    ({"cluster__lustre": {"size": 1}}, r"field cluster.lustre.size: .*unknown field; allowed fields here: storage_capacity_gib, throughput_per_tib, efa, backup_retention_days"),
    ({"cluster__root_volume_gib": 4}, r"field cluster.root_volume_gib: bad value 4: allowed 8..16384"),
    ({"cluster__containers": "yes"}, r"field cluster.containers: bad value 'yes': Input should be a valid boolean"),
    ({"cluster__capacity": []}, r"field cluster.capacity: bad value a list of 0 item\(s\): must be a mapping of fields \(got a list\)"),
    # audit (issue 6)
    ({"audit__colour": "red"}, r"field audit.colour: bad value 'red': unknown field; allowed fields here: trail, config, guardduty, security_hub, object_lock_mode"),
    ({"audit__config": "landingzone"}, r"field audit.config: bad value 'landingzone': Input should be 'create' or 'landing_zone'"),
    ({"audit__object_lock_mode": "governance"}, r"field audit.object_lock_mode: bad value 'governance': impact level high allows compliance only.*\(AU-9\)"),
    ({"audit__replication": False}, r"field audit.replication: bad value False: impact level high requires replication .*\(AU-9\(2\)"),
    ({"audit__replication": "yes"}, r"field audit.replication: bad value 'yes': Input should be a valid boolean"),
    ({"audit__expiration_days": 400}, r"field audit.expiration_days: bad value 400: allowed 913..36500"),
    ({"audit__expiration_days": 913, "audit__object_lock_days": 1000}, r"field audit.expiration_days: bad value 913: must be at least object_lock_days \(1000\)"),
    ({"audit__online_days": 180}, r"field audit.online_days: bad value 180: allowed 365..36500"),
    ({"audit__object_lock_days": 0}, r"field audit.object_lock_days: bad value 0: allowed 365..36500"),
    # a 1-day compliance lock lets a privileged user delete audit records after a day (break test)
    ({"audit__object_lock_days": 1}, r"field audit.object_lock_days: bad value 1: allowed 365..36500"),
    ({"audit__object_lock_days": 912}, r"field audit.object_lock_days: bad value 912: impact level high allows 913..36500: .*\(AU-9, AU-11\)"),
    # data events asked for but nothing would record them (break test: silently ignored once)
    ({"audit__trail": "landing_zone", "audit__data_event_buckets": ["my-data-bucket"]},
     r"field audit.data_event_buckets: .*only for a trail govcdk creates \(trail: create\)"),
    ({"audit__archive_storage_class": "standard"}, r"field audit.archive_storage_class: bad value 'standard': Input should be 'glacier' or 'deep_archive'"),
    ({"audit__data_event_buckets": ["arn:aws-us-gov:s3:::data"]}, r"field audit.data_event_buckets: .*'arn:aws-us-gov:s3:::data': not an S3 bucket name.*\(give names, not ARNs\)"),
    ({"audit__data_event_buckets": ["data-a", "data-a"]}, r"field audit.data_event_buckets: .*a bucket is named twice"),
    ({"audit": "yes"}, r"field audit: bad value 'yes': must be a mapping of fields \(got a string\)"),
    # tags leave the GovCloud boundary: AWS's tag rules, with the reason
    ({"tags": {"aws:owner": "x"}}, r"field tags.aws:owner: bad value 'x': tag key prefix 'aws:' is reserved for AWS; tags leave the AWS GovCloud \(US\) boundary"),
    ({"tags": {"govcdk:agency": "x"}}, r"field tags.govcdk:agency: .*reserved for govcdk's agency tags"),
    ({"tags": {"project": "a#b"}}, r"field tags.project: bad value 'a#b': tag value has characters AWS does not allow in tags \('#'\); allowed: letters, digits, spaces and _ . : / = \+ - @"),
    ({"tags": {"k" * 129: "v"}}, r"tag key must be 1..128 characters \(has 129\)"),
    ({"tags": {"note": "x" * 257}}, r"field tags.note: .*tag value must be 0..256 characters \(has 257\)"),
    ({"tags": {"cost-center": 1234}}, r"field tags.cost-center: bad value 1234: Input should be a valid string \(got a number\)"),
    ({"tags": {f"k{i}": "v" for i in range(41)}}, r"field tags: .*at most 40 tags \(AWS allows 50 per resource; govcdk adds 4\)"),
])
def test_bad_agency_file_message(tmp_path, changes, expected):
    path = _write(tmp_path, **changes)
    with pytest.raises(AgencyConfigError) as info:
        load_agency(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: field "), msg
    assert __import__("re").search(expected, msg), msg


@pytest.mark.parametrize("yaml_line, expected", [
    # YAML 1.1 would read these as 8, 16, 16 and true; an agency file reads them as YAML 1.2 does.
    ("  node_count: 010", r"field cluster.node_count: bad value '010': Input should be a valid integer \(got a string\)"),
    ("  node_count: 0x10", r"field cluster.node_count: bad value '0x10'"),
    ("  node_count: 1_6", r"field cluster.node_count: bad value '1_6'"),
    ("  containers: yes", r"field cluster.containers: bad value 'yes': Input should be a valid boolean"),
    ("  containers: on", r"field cluster.containers: bad value 'on'"),
    ("  ? [a, b]\n  : x", r"line \d+, column \d+\): not valid YAML: a key must be a plain name, not a list or mapping"),
])
def test_yaml_1_1_surprises_are_refused(tmp_path, yaml_line, expected):
    text = (ROOT / "agencies" / "reference.yaml").read_text()
    text = text.replace("  node_count: 2\n", "  node_count: 2\n" if "node_count" not in yaml_line else "")
    text = text.replace("cluster:\n", "cluster:\n" + yaml_line.replace("\\n", "\n") + "\n", 1)
    path = tmp_path / "agency.yaml"
    path.write_text(text)
    with pytest.raises(AgencyConfigError) as info:
        load_agency(path)
    assert __import__("re").search(expected, str(info.value)), str(info.value)


def test_null_blocks_mean_the_default(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(REFERENCE))
    data["cluster"]["capacity"] = None
    data["cluster"]["lustre"] = {"efa": None}
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(data))
    cfg = load_agency(path)
    assert cfg.cluster.capacity.type.value == "on-demand"
    assert cfg.cluster.lustre is not None and cfg.cluster.lustre.efa is None


def test_region_change_reports_every_region_dependent_field(tmp_path):
    """Moving an agency to us-gov-east-1 names both the AZ and the instance type at once."""
    path = _write(tmp_path, region="us-gov-east-1")
    with pytest.raises(AgencyConfigError) as info:
        load_agency(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 2, lines
    assert "field cluster.availability_zone: bad value 'us-gov-west-1a'" in lines[0]
    assert "field cluster.instance_type: bad value 'p5.48xlarge': not offered in us-gov-east-1" in lines[1]


@pytest.mark.parametrize("lustre, efa", [
    ({"storage_capacity_gib": 4800, "throughput_per_tib": 1000}, True),   # the reference: 4800 per step at 1000
    ({"storage_capacity_gib": 9600, "throughput_per_tib": 500}, True),    # 9600 per step at 500
    ({"storage_capacity_gib": 2400, "throughput_per_tib": 500}, False),   # below 9600: Lustre over TCP
    ({}, False),                                                          # 1200 GiB at 250 (step 19200)
    ({"storage_capacity_gib": 38400, "throughput_per_tib": 125}, True),
    ({"storage_capacity_gib": 19200, "throughput_per_tib": 125}, False),
    ({"storage_capacity_gib": 4800, "throughput_per_tib": 1000, "efa": False}, False),
])
def test_lustre_efa_is_automatic_where_the_size_allows(tmp_path, lustre, efa):
    cfg = load_agency(_write(tmp_path, cluster__lustre=lustre))
    assert cfg.cluster.lustre.efa_enabled is efa


def test_reference_lustre_is_an_efa_size():
    cfg = load_agency(ROOT / "agencies" / "reference.yaml")
    assert (cfg.cluster.lustre.storage_capacity_gib, cfg.cluster.lustre.throughput_per_tib) == (4800, 1000)
    assert cfg.cluster.lustre.efa is None and cfg.cluster.lustre.efa_enabled is True


def test_capacity_block_for_a_type_ec2_does_not_sell_as_blocks(tmp_path):
    data = yaml.safe_load((ROOT / "agencies" / "east.yaml").read_text())
    data["cluster"]["instance_type"] = "g6.48xlarge"
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(AgencyConfigError) as info:
        load_agency(path)
    (line,) = str(info.value).splitlines()
    assert line.startswith(f"{path}: field cluster.instance_type: bad value 'g6.48xlarge': EC2 does not sell "
                           "Capacity Blocks for ML for this type (cluster.capacity.type is capacity-block); "
                           "allowed with capacity-block: p4d.24xlarge, "), line
    assert "p6-b200.48xlarge" in line and "Capacity Blocks for ML" in line
    assert line.endswith("or use capacity type capacity-reservation or on-demand")
    data["cluster"]["capacity"] = {"type": "capacity-reservation", "reservation_id": "cr-0123456789abcdef0"}
    path.write_text(yaml.safe_dump(data))
    assert load_agency(path).cluster.instance_type == "g6.48xlarge"


def test_subnet_too_small_for_the_nodes(tmp_path):
    """10.40.1.0/24 over 3 AZs: /26 subnets, 64 - 5 AWS-reserved = 59 usable. The gpu-training
    profile puts 12 interface endpoints in each subnet; the 4800 GiB Lustre file system is
    estimated at ceil(4800/1200) + 2 = 6: 41 left, 1 per p5.48xlarge node (its ENA primary;
    efa-only interfaces take none). A /23 gives /25 subnets: 123 - 18 = 105 >= 64."""
    path = _write(tmp_path, network__cidr="10.40.1.0/24", cluster__node_count=64)
    with pytest.raises(AgencyConfigError) as info:
        load_agency(path)
    assert str(info.value) == (
        f"{path}: field cluster.node_count: bad value 64: the cluster's subnet (a /26 of network.cidr "
        "10.40.1.0/24 over 3 availability zones) has 59 usable addresses (its size minus the 5 AWS reserves); "
        "12 interface VPC endpoint network interface(s) and up to 6 for the FSx for Lustre file system "
        "(estimate: ceil(storage GiB / 1200) + 2) leave 41; each p5.48xlarge node takes 1 (one per ENA or "
        "efa interface; efa-only interfaces take none): at most 41 node(s) fit; lower cluster.node_count "
        "to 41 or give network.cidr a /23 or shorter prefix")
    assert load_agency(_write(tmp_path, network__cidr="10.40.1.0/24", cluster__node_count=41)).cluster.node_count == 41
    # 45 nodes: 47 left without the file system, so a smaller one is a way out too
    with pytest.raises(AgencyConfigError, match=r"at most 41 node\(s\) fit; lower cluster.node_count to 41 or give "
                                                r"network.cidr a /23 or shorter prefix or lower cluster.lustre.storage_capacity_gib$"):
        load_agency(_write(tmp_path, network__cidr="10.40.1.0/24", cluster__node_count=45))
    # two AZs: /25 subnets hold 105
    assert load_agency(_write(tmp_path, network__cidr="10.40.1.0/24", network__az_count=2,
                              cluster__node_count=64)).network.az_count == 2


def test_region_errors_are_listed_with_other_field_errors(tmp_path):
    """pydantic skips the cross-field checks once a field fails; the loader still lists the
    region-dependent fields (D10)."""
    path = _write(tmp_path, region="us-gov-east-1", cluster__node_count=0)
    with pytest.raises(AgencyConfigError) as info:
        load_agency(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 3, lines
    assert "field cluster.node_count: bad value 0: allowed 1..64" in lines[0]
    assert "field cluster.availability_zone: bad value 'us-gov-west-1a': allowed: the network's availability zones in us-gov-east-1" in lines[1]
    assert "field cluster.instance_type: bad value 'p5.48xlarge': not offered in us-gov-east-1" in lines[2]
    # a field of the wrong kind is reported once, by its own error
    path = _write(tmp_path, region="us-gov-east-1", cluster__instance_type=5)
    lines = str(pytest.raises(AgencyConfigError, load_agency, path).value).splitlines()
    assert [l.split(": bad value")[0].split("field ")[1] for l in lines] == ["cluster.instance_type", "cluster.availability_zone"]


def test_east_agency():
    cfg = load_agency(ROOT / "agencies" / "east.yaml")
    assert cfg.region == "us-gov-east-1" and cfg.cluster.instance_type == "p6-b200.48xlarge"
    assert cfg.impact_level is ImpactLevel.MODERATE
    assert cfg.cluster.capacity.type.value == "capacity-block"


def test_missing_file(tmp_path):
    with pytest.raises(AgencyConfigError, match=r"nope.yaml: agency file not found"):
        load_agency(tmp_path / "nope.yaml")


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text("agency:\n  code: airx\n  name: [unclosed\n")
    with pytest.raises(AgencyConfigError, match=r"a.yaml \(line \d+, column \d+\): not valid YAML"):
        load_agency(p)


def test_not_a_mapping(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text("- just\n- a list\n")
    with pytest.raises(AgencyConfigError, match=r"a.yaml: an agency file is a YAML mapping .*got a list"):
        load_agency(p)


@pytest.mark.parametrize("text, message", [
    ("", r"the file is empty"),
    ("region: us-gov-west-1\nregion: us-gov-east-1\n", r"\(line 2, column 1\): not valid YAML: duplicate key 'region'"),
    ("a: &x [1, 2]\nb: *x\n", r"\(line 1, column 4\): not valid YAML: anchors \(&name\) are not allowed"),
    ("a: !!python/object:os.system {}\n", r"not valid YAML"),
    # a date that does not exist: PyYAML raised a bare ValueError (a traceback) once
    ("agency: {code: ab}\nreview: 2026-02-30\n", r"\(line 2, column 9\): not valid YAML: '2026-02-30' is not a valid date or time \(day is out of range for month\); quote it"),
    # a tag its value cannot hold (retest R3): PyYAML raised a bare ValueError
    ("agency: {code: ab}\ntags: {created: !!int foo}\n", r"\(line 2, column 17\): not valid YAML: 'foo' is not a valid !!int value; quote it if it is text"),
    ("agency: {code: ab}\ncluster: {node_count: !!map [1]}\n", r"\(line 2, column 23\): not valid YAML: expected a mapping node, but found sequence"),
    ("agency: {code: ab}\ntags: !!set [[a, b]]\n", r"not valid YAML: expected a mapping node, but found sequence"),
])
def test_unsafe_or_ambiguous_yaml(tmp_path, text, message):
    p = tmp_path / "a.yaml"
    p.write_text(text)
    with pytest.raises(AgencyConfigError, match=message):
        load_agency(p)


def test_directory_and_binary_file(tmp_path):
    with pytest.raises(AgencyConfigError, match=r"not a regular file"):
        load_agency(tmp_path)
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(AgencyConfigError, match=r"not a text file"):
        load_agency(p)


def test_audit_defaults_follow_impact_level(tmp_path):
    """High: Object Lock in compliance mode and replication; Moderate: governance, none; the
    agency file may choose stricter (compliance, replication) below High."""
    from govcdk.config import ObjectLockMode

    ref = load_agency(ROOT / "agencies" / "reference.yaml")
    assert ref.object_lock_mode is ObjectLockMode.COMPLIANCE and ref.replicate_audit_logs is True
    east = load_agency(ROOT / "agencies" / "east.yaml")
    assert east.object_lock_mode is ObjectLockMode.GOVERNANCE and east.replicate_audit_logs is False
    assert east.audit.guardduty.value == "landing_zone" and east.audit.config.value == "create"
    strict = load_agency(_write(tmp_path, impact_level="moderate", audit__object_lock_mode="compliance",
                                audit__replication=True))
    assert strict.object_lock_mode is ObjectLockMode.COMPLIANCE and strict.replicate_audit_logs is True


def test_agency_file_tags_accepted(tmp_path):
    cfg = load_agency(_write(tmp_path, tags={"cost-center": "AI 1234", "owner": "ml-ops@agency.gov",
                                             "Projekt": "Modellprüfung", "path": "/a/b=c+d"}))
    assert cfg.tags["Projekt"] == "Modellprüfung"


def test_agency_tags_check_names_the_field():
    """A config built without validation (model_construct) is still refused when its tags are
    built, naming the agency file field and saying tags leave the GovCloud boundary."""
    from govcdk.stacks.base import agency_tags

    cfg = load_agency(ROOT / "agencies" / "reference.yaml")
    bad = cfg.model_copy(update={"agency": cfg.agency.model_copy(update={"system_id": "AIRX#1"}),
                                 "tags": {"aws:x": "1"}})
    with pytest.raises(AgencyConfigError) as info:
        agency_tags(bad)
    msg = str(info.value)
    assert "agency file field agency.system_id: bad value 'AIRX#1' for tag govcdk:system-id" in msg
    assert "agency file field tags.aws:x: bad value '1': tag key prefix 'aws:' is reserved for AWS" in msg
    assert "tags leave the AWS GovCloud (US) boundary" in msg
