# A create whose local-exec provisioner sleeps: used to cancel an apply while it runs.
variable "seconds" {
  type    = string
  default = "300"
}

resource "terraform_data" "slow" {
  input = var.seconds

  provisioner "local-exec" {
    command = "sleep ${var.seconds}"
  }
}
