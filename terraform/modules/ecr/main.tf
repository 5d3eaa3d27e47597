# Container repositories: immutable tags (a promoted tag always names the same image), scan on push,
# KMS encryption, and a lifecycle policy that expires untagged images.

locals {
  tags = merge(var.tags, { "leadforge/module" = "ecr" })
}

module "kms_key" {
  source      = "../kms-key"
  description = "ECR repositories: ${join(", ", var.repositories)}"
  tags        = local.tags
}

moved {
  from = aws_kms_key.this
  to   = module.kms_key.aws_kms_key.this
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
    kms_key         = module.kms_key.arn
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
