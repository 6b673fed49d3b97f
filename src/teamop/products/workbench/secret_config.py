"""The files kept in the Secret `<site>-workbench-config` (mounted at /mnt/secure-config/rstudio/):
database.conf, openid-client-secret, databricks.conf.

database.conf names the server, database and role but carries no password: Workbench takes the PostgreSQL
password from the environment variable WORKBENCH_POSTGRES_PASSWORD, which the server container gets by
`secretKeyRef` to `dev-db-password` (the site secret's, or the generated one). The other two files hold secret
values as placeholders (see `placeholders`).
"""

from __future__ import annotations

from teamop.products.workbench import layouts
from teamop.products.workbench.effective import EffectiveConfig
from teamop.products.workbench.ini import flat_file, sectioned_file


def secret_files(cfg: EffectiveConfig) -> dict[str, str]:
    files: dict[str, str] = {}
    if cfg.database is not None:
        if cfg.database.get("password"):
            # A literal password in the CR would end up in etcd twice; the env var is the only way in.
            raise ValueError("secretConfig database.conf password: set dev-db-password in the site secret instead")
        files["database.conf"] = flat_file(cfg.database, layouts.DATABASE)
    if cfg.openid_client_secret is not None:
        files["openid-client-secret"] = flat_file(cfg.openid_client_secret, layouts.OPENID_CLIENT_SECRET)
    if cfg.databricks:
        files["databricks.conf"] = sectioned_file(
            (name, cfg.databricks[name], layouts.DATABRICKS_WORKSPACE) for name in sorted(cfg.databricks)
        )
    return files
