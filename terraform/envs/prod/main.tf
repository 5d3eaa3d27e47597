# The prod environment: everything comes from modules/platform (network, EKS with a managed node
# group, ECR, the GitHub OIDC deploy role); the values below are what sets prod apart.
# In-cluster objects (namespaces, quotas, RBAC, network policies) live in k8s/overlays/prod.

module "platform" {
  source = "../../modules/platform"

  environment        = "prod"
  github_environment = "production" # its protection rules gate the deploy role
  vpc_cidr           = "10.30.0.0/16"
  azs                = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  instance_types     = ["m6i.large"]
  capacity_type      = "ON_DEMAND"
  min_nodes          = 3
  max_nodes          = 8
  deploy_namespaces  = ["leadforge-prod"]
}
