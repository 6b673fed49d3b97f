"""`teamop dev up` / `teamop dev down`: the operator's main job on a laptop, in one command.

`up` starts a real control plane and PostgreSQL (both detached, so `kubectl` keeps working after it exits with
`--exit-when-ready`), creates the Secrets and a Site, runs the operator in-process and shows progress until the Site
is Ready. `down` stops whatever `up` started and removes its state.
"""
