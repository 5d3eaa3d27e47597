# The staging environment: everything comes from modules/platform (network, EKS with a managed node
# group, ECR, the GitHub OIDC deploy role); the values below are what sets staging apart.
# In-cluster objects (namespaces, quotas, RBAC, network policies) live in k8s/overlays/staging.

module "platform" {
  source = "../../modules/platform"

  environment        = "staging"
  github_environment = "staging" # its protection rules gate the deploy role
  vpc_cidr           = "10.20.0.0/16"
  azs                = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  instance_types     = ["t3.large"]
  capacity_type      = "ON_DEMAND"
  min_nodes          = 2
  max_nodes          = 4
  deploy_namespaces  = ["leadforge-staging"]
}
