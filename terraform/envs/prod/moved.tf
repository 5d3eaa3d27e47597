# State addresses from before modules/platform existed: with these, the first plan after the move
# shows no changes. Delete this file once every environment has been applied with the new layout.

moved {
  from = module.network
  to   = module.platform.module.network
}

moved {
  from = module.eks
  to   = module.platform.module.eks
}

moved {
  from = module.ecr
  to   = module.platform.module.ecr
}

moved {
  from = module.github_oidc
  to   = module.platform.module.github_oidc
}

moved {
  from = aws_eks_access_entry.deploy
  to   = module.platform.aws_eks_access_entry.deploy
}

moved {
  from = aws_eks_access_policy_association.deploy
  to   = module.platform.aws_eks_access_policy_association.deploy
}
