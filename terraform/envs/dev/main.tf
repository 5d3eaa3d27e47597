# The dev environment: everything comes from modules/platform (network, EKS with a managed node
# group, ECR, the GitHub OIDC deploy role); the values below are what sets dev apart.
# In-cluster objects (namespaces, quotas, RBAC, network policies) live in k8s/overlays/dev.

module "platform" {
  source = "../../modules/platform"

  environment        = "dev"
  github_environment = "dev" # its protection rules gate the deploy role
  vpc_cidr           = "10.10.0.0/16"
  azs                = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  instance_types     = ["t3.large"]
  capacity_type      = "SPOT"
  min_nodes          = 2
  max_nodes          = 3
  deploy_namespaces  = ["leadforge-dev"]
}
