# A root whose plan, once applied with n = 2, shows every kind of change when planned with n = 3:
# create (added), update (upd), replace (rep), delete (gone), a sensitive value and output changes.
variable "n" {
  type    = number
  default = 2
}

variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}

resource "terraform_data" "keep" {
  input = "same"
}

resource "terraform_data" "upd" {
  input = var.n
}

resource "terraform_data" "gone" {
  count = var.n > 2 ? 0 : 1
  input = "bye"
}

resource "terraform_data" "added" {
  count = var.n > 2 ? 1 : 0
  input = "hello"
}

resource "terraform_data" "rep" {
  input            = "x"
  triggers_replace = [var.n]
}

resource "terraform_data" "sec" {
  input = "${var.secret}-${var.n}"
}

output "n" {
  value = var.n
}

output "token" {
  value     = "${var.secret}-${var.n}"
  sensitive = true
}
