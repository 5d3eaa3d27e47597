# One environment: network, EKS cluster with a managed node group, ECR repositories, and the role
# GitHub Actions assumes (OIDC) from jobs in one GitHub environment. terraform/envs/<env> calls this
# once with that environment's values. In-cluster objects (namespaces, quotas, RBAC, network policies)
# live in k8s/overlays/<env>.

locals {
  name = "leadforge-${var.environment}"
}

module "network" {
  source = "../network"

  name = local.name
  cidr = var.vpc_cidr
  azs  = var.azs
}

module "eks" {
  source = "../eks"

  name                = local.name
  kubernetes_version  = var.kubernetes_version
  subnet_ids          = module.network.private_subnet_ids
  public_access_cidrs = var.api_allowed_cidrs
  instance_types      = var.instance_types
  capacity_type       = var.capacity_type
  min_size            = var.min_nodes
  desired_size        = var.min_nodes
  max_size            = var.max_nodes
}

module "ecr" {
  source = "../ecr"

  repositories = var.ecr_repositories
}

module "github_oidc" {
  source = "../github-oidc"

  repository          = var.github_repository
  github_environment  = var.github_environment
  role_name           = "${local.name}-github-deploy"
  create_provider     = var.create_oidc_provider
  provider_arn        = var.oidc_provider_arn
  ecr_repository_arns = module.ecr.repository_arns
  eks_cluster_arn     = module.eks.arn
}

# The deploy role may change objects in the app's namespace only (push mode); pull mode needs no
# cluster access at all: Argo CD or Flux pulls the deploy/<env> branch.
resource "aws_eks_access_entry" "deploy" {
  cluster_name  = module.eks.name
  principal_arn = module.github_oidc.role_arn
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "deploy" {
  cluster_name  = module.eks.name
  principal_arn = module.github_oidc.role_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"

  access_scope {
    type       = "namespace"
    namespaces = var.deploy_namespaces
  }

  depends_on = [aws_eks_access_entry.deploy]
}
