"""Rules for the CloudFormation ``ec2`` service namespace."""
