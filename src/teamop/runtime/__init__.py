"""The reconcile engine: client, informers, work queue, controllers, manager. Knows nothing about Posit."""
