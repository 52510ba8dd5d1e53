"""Rules for the CloudFormation ``ecr`` service namespace."""
