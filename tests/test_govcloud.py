import pytest

from govcdk import govcloud


def test_regions_and_azs():
    assert govcloud.PARTITION == "aws-us-gov"
    assert govcloud.REGIONS == ("us-gov-west-1", "us-gov-east-1")
    west = govcloud.region("us-gov-west-1")
    assert west.availability_zones == ("us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c")
    assert west.availability_zone_ids == ("usgw1-az1", "usgw1-az2", "usgw1-az3")
    east = govcloud.region("us-gov-east-1")
    assert east.availability_zone_ids == ("usge1-az1", "usge1-az2", "usge1-az3")
    assert east.other == "us-gov-west-1"


def test_non_govcloud_region_is_rejected_with_the_allowed_ones():
    with pytest.raises(govcloud.RegionError, match=r"'us-east-1' is not an AWS GovCloud \(US\) region; allowed: us-gov-west-1, us-gov-east-1"):
        govcloud.region("us-east-1")


def test_instance_offerings_come_from_cfnlint_data():
    assert "p5.48xlarge" in govcloud.instance_types("us-gov-west-1")
    assert "p5.48xlarge" not in govcloud.instance_types("us-gov-east-1")
    assert "p6-b200.48xlarge" in govcloud.instance_types("us-gov-east-1")
    accel_west = govcloud.accelerated_instance_types("us-gov-west-1")
    assert not any(t.startswith(("g5.", "trn1", "trn2")) for t in accel_west)


def test_resource_types():
    assert "AWS::EC2::VPC" in govcloud.resource_types("us-gov-west-1")
    assert not any(t.startswith("AWS::CloudFront::") for t in govcloud.resource_types("us-gov-west-1"))
