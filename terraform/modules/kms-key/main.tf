# A customer-managed KMS key: rotated yearly, 30 days' deletion window, administered by the account
# root; with log_group_pattern set, CloudWatch Logs in this region and account may also use it for
# the log groups whose names match.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
}

data "aws_iam_policy_document" "this" {
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
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account}:root"]
    }
  }

  dynamic "statement" {
    for_each = var.log_group_pattern == null ? [] : [var.log_group_pattern]
    content {
      sid       = "CloudWatchLogsUseTheKey"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"] # in a key policy, "*" means this key
      principals {
        type        = "Service"
        identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
      }
      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${local.account}:log-group:${statement.value}"]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.this.json
  tags                    = var.tags
}
