"""Rules for the CloudFormation ``lambda`` service namespace."""
