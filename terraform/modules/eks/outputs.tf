output "name" {
  description = "Cluster name (for `aws eks update-kubeconfig --name`)."
  value       = aws_eks_cluster.this.name
}

output "arn" {
  description = "Cluster ARN."
  value       = aws_eks_cluster.this.arn
}

output "endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "oidc_issuer" {
  description = "The cluster's OIDC issuer (for IAM roles for service accounts)."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}
