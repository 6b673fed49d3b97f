"""Real servers for tests and local runs: the Kubernetes control plane and PostgreSQL."""
