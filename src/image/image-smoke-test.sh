#!/usr/bin/env bash
# Starts carbonledger from its container image tar without a container runtime and checks /actuator/health is UP.
#   image-smoke-test.sh IMAGE.tar
# Unpacks the image's layers in order into a root filesystem and reads the image config (entrypoint, command, env,
# user, working directory). As root (CI) it runs that process chrooted into the unpacked root as the image's user, in a
# private mount namespace with /proc and /dev: the image is self-contained (its own Java runtime, libc and /bin/sh)
# and its default, the embedded PostgreSQL under /data, works. Otherwise it runs the entrypoint on this machine with
# /app and /opt/java resolved inside the unpacked root.
set -euo pipefail
image=$(realpath "$1")
work=$(mktemp -d)
pid= mode=
cleanup() {
    if [[ -n $pid ]]; then
        # the application (the namespace's child in chroot mode) stops its embedded PostgreSQL on SIGTERM
        local app
        app=$( [[ $mode == chroot ]] && pgrep -P "$pid" || echo "$pid")
        kill -TERM $app 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 $app 2>/dev/null || break; sleep 0.5; done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
[[ -n ${IMAGE_TEST_KEEP:-} ]] && { trap - EXIT; echo "[image-test] keeping $work"; }
log() { printf '[image-test] %s\n' "$*"; }
command -v jq >/dev/null || { apt-get update -q && apt-get install -y -q jq; } >/dev/null

mkdir -p "$work/tar" "$work/root"
tar -xf "$image" -C "$work/tar"
if [[ -f $work/tar/index.json ]]; then       # OCI layout: index -> manifest -> config and layer blobs
    blob() { printf '%s/tar/blobs/%s' "$work" "${1/://}"; }
    manifest=$(blob "$(jq -r '.manifests[0].digest' "$work/tar/index.json")")
    config=$(blob "$(jq -r '.config.digest' "$manifest")")
    mapfile -t layers < <(jq -r '.layers[].digest' "$manifest" | while read -r d; do blob "$d"; echo; done)
else                                          # Docker format: manifest.json
    config=$work/tar/$(jq -r '.[0].Config' "$work/tar/manifest.json")
    mapfile -t layers < <(jq -r '.[0].Layers[]' "$work/tar/manifest.json" | sed "s#^#$work/tar/#")
fi
for layer in "${layers[@]}"; do
    tar --warning=no-unknown-keyword -xf "$layer" -C "$work/root"
done
root=$work/root
log "image $(basename "$image"): $(du -h "$image" | cut -f1) compressed, ${#layers[@]} layers, root filesystem $(du -sh "$root" | cut -f1)"

[[ -x $root/opt/java/bin/java ]] || { log "no /opt/java/bin/java in the image"; exit 1; }
mapfile -t entrypoint < <(jq -r '.config.Entrypoint[]?' "$config")
mapfile -t cmd < <(jq -r '.config.Cmd[]?' "$config")
mapfile -t env < <(jq -r '.config.Env[]?' "$config")
user=$(jq -r '.config.User // "0"' "$config")
workdir=$(jq -r '.config.WorkingDir // "/"' "$config")
log "entrypoint: ${entrypoint[*]} ${cmd[*]} (user $user, working directory $workdir)"
port=$(( (RANDOM % 2000) + 18600 ))

if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null && [[ -x /usr/sbin/chroot ]]; then
    # As a container runtime would: the image's root, user, working directory, environment and process, with /proc
    # and /dev mounted in a private mount namespace. Nothing of the host's file system is visible to the process.
    mode=chroot
    cat >"$work/enter.sh" <<'SH'
set -e
root=$1; shift
mount --bind "$root" "$root"            # the root is a mount point, as in a container (Java reads /proc/self/mounts)
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
exec "$@"
SH
    ( exec unshare --mount --fork --kill-child=TERM bash "$work/enter.sh" "$root" env -i "${env[@]}" CARBONLEDGER_PORT="$port" \
        /usr/sbin/chroot --userspec="$user" "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" \
        "${entrypoint[@]}" "${cmd[@]}" ) >"$work/app.log" 2>&1 &
else
    # Without root: the image's process on this machine's kernel and libraries, /app and /opt/java resolved inside
    # the unpacked root.
    mode=mapped
    argv=()
    for arg in "${entrypoint[@]}" "${cmd[@]}"; do
        if [[ $arg == @/* ]]; then
            sed -e "s#/app/#$root/app/#g" "$root${arg#@}" >"$work/argfile"
            argv+=("@$work/argfile")
        elif [[ $arg == java ]]; then
            argv+=("$root/opt/java/bin/java")
        else
            argv+=("$arg")
        fi
    done
    mkdir -p "$work/data"
    ( cd "$work/data" && exec env "${env[@]}" "PATH=$root/opt/java/bin:$PATH" CARBONLEDGER_DATA_DIR="$work/data" \
        CARBONLEDGER_PORT="$port" "${argv[@]}" ) >"$work/app.log" 2>&1 &
fi
pid=$!
log "started ($mode) on port $port"
status=
for _ in $(seq 1 180); do
    status=$(curl -s "http://localhost:$port/actuator/health" || true)
    [[ $status == *'"UP"'* ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
done
if [[ $status != *'"UP"'* ]]; then
    # what the embedded PostgreSQL printed (initdb's own errors), the application's last lines, the space it had
    log "the embedded PostgreSQL's output:"
    grep "EmbeddedPostgres\|itdb:pid\|gres:pid" "$work/app.log" | sed 's/^.*EmbeddedPostgres *: //' | tail -n 40 || true
    log "the application's last lines:"
    grep -v "^\s*at \|^\s*\.\.\. \|^ java\.base\|^Caused by\|Error creating bean\|EmbeddedPostgres" "$work/app.log" \
        | tail -n 15 || true
    log "disk: $(df -h "$root" | tail -n 1); /dev/shm: $(df -h /dev/shm 2>/dev/null | tail -n 1)"
    log "FAILED: the application from the image did not report UP (last answer: ${status:-none})"
    exit 1
fi
log "health: $status"
[[ $mode != chroot || -f $root/data/postgres/PG_VERSION ]] || { log "FAILED: no embedded database under /data"; exit 1; }
log "PASSED ($mode): the image's entrypoint serves, health UP"
