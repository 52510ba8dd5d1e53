"""Rules for the CloudFormation ``efs`` service namespace."""
