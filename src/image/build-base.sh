#!/usr/bin/env bash
# Builds the default base image of the carbonledger container as a Docker-format tar, without a Docker daemon or a
# registry: a jlink'd Java runtime under /opt/java plus the shared libraries it (and /bin/sh) link against, copied
# from this machine, in one reproducible layer.
#   build-base.sh JAVA_HOME MODULES OUT_DIR     writes OUT_DIR/base.tar (and the unpacked root in OUT_DIR/root)
set -euo pipefail
java_home=$1 modules=$2 out=$3
root=$out/root
rm -rf "$out"
mkdir -p "$out"

"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --output "$root/opt/java"

# The runtime's ELF files and a POSIX shell (initdb of the embedded PostgreSQL runs commands through /bin/sh).
mkdir -p "$root/bin"
cp -L /bin/sh "$root/bin/sh"
mapfile -t elves < <(find "$root/opt/java" "$root/bin" -type f \( -name '*.so' -o -perm -u+x \))
# plus what the embedded PostgreSQL binaries (extracted at run time) link against
pg_libs=(libpthread.so.0 libdl.so.2 librt.so.1 libm.so.6 libgcc_s.so.1 libstdc++.so.6)
cache=$(/sbin/ldconfig -p)
pg_paths=()
for l in "${pg_libs[@]}"; do
    # the whole cache is read before it is searched: an awk that exited at the first match could end ldconfig with
    # SIGPIPE, and under pipefail and errexit that silently dropped the libraries after it
    path=$(awk -v l="$l" '$1 == l && /x86-64|AArch64/ && !found++ {print $NF}' <<<"$cache")
    [[ -n $path && -e $path ]] || { echo "build-base: $l (needed by the embedded PostgreSQL) not found" >&2; exit 1; }
    pg_paths+=("$path")
done
mapfile -t libs < <( (for f in "${elves[@]}"; do ldd "$f" 2>/dev/null || true; done
    printf '%s\n' "${pg_paths[@]}") | grep -o '/[^ ]*' | grep -v "^$root" | sort -u)
for lib in "${libs[@]}"; do
    [[ -e $lib ]] && cp -L --parents "$lib" "$root"
done
for path in "${pg_paths[@]}"; do
    [[ -e $root$path ]] || { echo "build-base: $path missing from the base image" >&2; exit 1; }
done

mkdir -p "$root/tmp" "$root/data" "$root/etc" "$root/proc" "$root/dev"
chmod 1777 "$root/tmp" "$root/data"
# name resolution of localhost (a container runtime usually mounts its own /etc/hosts) and the C.UTF-8 locale
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
if [[ -d /usr/lib/locale/C.utf8 ]]; then cp -r --parents /usr/lib/locale/C.utf8 "$root"; fi
printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
mkdir -p "$root/home/nonroot" && chmod 1777 "$root/home/nonroot"

tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -cf "$out/layer.tar" .
diff_id=sha256:$(sha256sum "$out/layer.tar" | cut -d' ' -f1)
arch=$(uname -m); case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
cat >"$out/config.json" <<JSON
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/opt/java/bin:/usr/bin:/bin","JAVA_HOME=/opt/java","LANG=C.UTF-8"]},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"src/image/build-base.sh: jlink --add-modules $modules"}]}
JSON
printf '[{"Config":"config.json","RepoTags":["carbonledger-base:jlink"],"Layers":["layer.tar"]}]\n' >"$out/manifest.json"
tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$out" -cf "$out/base.tar" manifest.json config.json layer.tar
rm "$out/layer.tar"
echo "base image: $out/base.tar ($(du -h "$out/base.tar" | cut -f1)), modules $modules"
