# Sourced by softroce-vm.sh and guest-exec.sh (host side): the caller's environment as
# `export NAME=value` lines for the guest, minus what describes this host's shell or
# terminal session. Values are quoted with printf %q (the guest runs bash).
softroce_dump_env() {
    local name
    while IFS= read -r name; do
        case $name in
            TERM|SHLVL|PWD|OLDPWD|_|HOSTNAME|LINES|COLUMNS|SSH_*|DISPLAY|XAUTHORITY|WAYLAND_DISPLAY) continue ;;
            DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR|XDG_SESSION_*|BASH_FUNC_*) continue ;;
            SHELLOPTS|BASHOPTS|BASH_VERSINFO|EUID|UID|PPID) continue ;;   # read-only in bash
        esac
        printf 'export %s=%q\n' "$name" "${!name}"
    done < <(compgen -e)
}
