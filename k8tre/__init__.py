"""K8TRE on Pulumi: a Kubernetes Trusted Research Environment in three layers."""
