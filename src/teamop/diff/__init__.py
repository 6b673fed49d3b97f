"""`teamop diff`: what the controllers would change on the live cluster, found with server-side dry runs."""
