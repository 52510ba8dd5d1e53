"""Rules for the CloudFormation ``elasticloadbalancingv2`` service namespace."""
