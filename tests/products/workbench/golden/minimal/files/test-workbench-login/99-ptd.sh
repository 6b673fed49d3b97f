# Managed by teamop (Workbench login environment); edits are overwritten.
umask 077
