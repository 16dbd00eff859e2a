"""One module per `pathsentry` command."""
