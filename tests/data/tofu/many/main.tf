# A large plan for the benchmark: `count` terraform_data resources.
variable "count_of" {
  type    = number
  default = 2000
}

resource "terraform_data" "r" {
  count = var.count_of
  input = "item-${count.index}"
}

output "how_many" {
  value = length(terraform_data.r)
}
