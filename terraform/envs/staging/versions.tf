terraform {
  required_version = ">= 1.10" # S3-native state locking (use_lockfile)
  required_providers {
    aws = { source = "hashicorp/aws" } # version constraint: terraform/modules/*/versions.tf
  }

  # Remote state in S3; bucket, key and region come from backend.s3.tfbackend:
  #   terraform init -backend-config=backend.s3.tfbackend     (offline checks: -backend=false)
  backend "s3" {}
}

provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { "leadforge/environment" = "staging", "leadforge/managed-by" = "terraform" }
  }
}
