# Container repositories: immutable tags (a promoted tag always names the same image), scan on push,
# KMS encryption, and a lifecycle policy that expires untagged images.

data "aws_caller_identity" "current" {}

locals {
  tags = merge(var.tags, { "leadforge/module" = "ecr" })
}

data "aws_iam_policy_document" "key" {
  # A KMS key policy: "*" as the resource means the key the policy is attached to, nothing else.
  # checkov:skip=CKV_AWS_109:key policy; its resource "*" is this key only, and the account root administers it
  # checkov:skip=CKV_AWS_111:key policy; its resource "*" is this key only, and writes are limited to the named principals
  # checkov:skip=CKV_AWS_356:key policy; its resource "*" is this key only (key policies cannot name the key's own ARN)
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "ECR repositories: ${join(", ", var.repositories)}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = local.tags
}

resource "aws_ecr_repository" "this" {
  for_each = toset(var.repositories)

  name                 = each.value
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.this.arn
  }

  tags = local.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after ${var.untagged_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_days
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
