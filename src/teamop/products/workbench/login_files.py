"""The login environment of the server and of every session (ConfigMap `<site>-workbench-login`): files that
replace the image's own, so that home directories are created private (mode 0700, umask 077) when Workbench
provisions a user, and users are created in the ID ranges the site expects."""

from __future__ import annotations

LOGIN_DEFS = "login.defs"
COMMON_SESSION = "common-session"
PROFILE_SCRIPT = "99-ptd.sh"

# (file name in the ConfigMap, path in the pod)
MOUNTS: tuple[tuple[str, str], ...] = (
    (LOGIN_DEFS, "/etc/login.defs"),
    (PROFILE_SCRIPT, "/etc/profile.d/99-ptd.sh"),
    (COMMON_SESSION, "/etc/pam.d/common-session"),
)

_LOGIN_DEFS_SETTINGS: tuple[tuple[str, str], ...] = (
    ("MAIL_DIR", "/var/mail"),
    ("FAILLOG_ENAB", "yes"),
    ("LOG_UNKFAIL_ENAB", "no"),
    ("LOG_OK_LOGINS", "no"),
    ("SYSLOG_SU_ENAB", "yes"),
    ("SYSLOG_SG_ENAB", "yes"),
    ("FTMP_FILE", "/var/log/btmp"),
    ("SU_NAME", "su"),
    ("HUSHLOGIN_FILE", ".hushlogin"),
    ("ENV_SUPATH", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    ("ENV_PATH", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"),
    ("TTYGROUP", "tty"),
    ("TTYPERM", "0600"),
    ("ERASECHAR", "0177"),
    ("KILLCHAR", "025"),
    ("UMASK", "077"),
    ("HOME_MODE", "0700"),
    ("PASS_MAX_DAYS", "99999"),
    ("PASS_MIN_DAYS", "0"),
    ("PASS_WARN_AGE", "7"),
    ("UID_MIN", "1000"),
    ("UID_MAX", "60000"),
    ("GID_MIN", "1000"),
    ("GID_MAX", "60000"),
    ("LOGIN_RETRIES", "5"),
    ("LOGIN_TIMEOUT", "60"),
    ("CHFN_RESTRICT", "rwh"),
    ("DEFAULT_HOME", "yes"),
    ("USERGROUPS_ENAB", "yes"),
    ("ENCRYPT_METHOD", "SHA512"),
)

_HEADER = "# Managed by teamop (Workbench login environment); edits are overwritten.\n"

# PAM session stack: pam_mkhomedir creates a provisioned user's home on first login, private to that user.
_PAM_SESSION_RULES: tuple[tuple[str, str, str], ...] = (
    ("session", "[default=1]", "pam_permit.so"),
    ("session", "requisite", "pam_deny.so"),
    ("session", "required", "pam_permit.so"),
    ("session", "optional", "pam_umask.so"),
    ("session", "required", "pam_unix.so"),
    ("session", "optional", "pam_sss.so"),
    ("session", "required", "pam_mkhomedir.so\tskel=/etc/skel\tumask=0077"),
)


def login_defs() -> str:
    width = max(len(key) for key, _ in _LOGIN_DEFS_SETTINGS) + 1
    body = "".join(f"{key.ljust(width)}{value}\n" for key, value in _LOGIN_DEFS_SETTINGS)
    return _HEADER + "# Replaces the image's /etc/login.defs (login.defs(5)).\n" + body


def common_session() -> str:
    rules = "".join(f"{kind}\t{control}\t\t{module}\n" for kind, control, module in _PAM_SESSION_RULES)
    return _HEADER + "# Replaces the image's /etc/pam.d/common-session (pam.conf(5)).\n\n" + rules


def profile_script() -> str:
    return _HEADER + "umask 077\n"


def login_files() -> dict[str, str]:
    return {LOGIN_DEFS: login_defs(), COMMON_SESSION: common_session(), PROFILE_SCRIPT: profile_script()}


def login_mounts(volume_name: str) -> list[dict[str, object]]:
    """The login files mounted one by one over the image's (sub-path mounts keep the rest of /etc)."""
    return [{"name": volume_name, "mountPath": path, "subPath": file, "readOnly": True} for file, path in MOUNTS]
