"""One Reconciler per kind."""
