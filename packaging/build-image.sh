#!/usr/bin/env bash
# Builds the runtime image without a Docker engine (make image), from Debian's packages:
#   1. the release binary as it ships (packaging/build-release.sh);
#   2. a minimal bookworm root made by debootstrap with exactly the runtime libraries
#      packaging/Dockerfile installs (libssl3, zlib1g, ca-certificates), user 10001;
#   3. packed as an OCI image with umoci: non-root user, the Dockerfile's entrypoint and command;
#   4. run with an OCI runtime, crun or runc (or, where the sandbox refuses both, unshare +
#      chroot as user 10001 with its own /proc):
#      `scalebridge once` on the quickstart, mounted read-only at /etc/scalebridge.
# Output: .build-image/oci (an OCI layout, tag scalebridge:latest) and the checks' results.
# Needs root and: debootstrap umoci crun (apt-get install debootstrap umoci crun).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work="$root/.build-image"
mkdir -p "$work"
for tool in debootstrap umoci; do
  command -v "$tool" >/dev/null || { echo "need $tool: apt-get install debootstrap umoci crun" >&2; exit 1; }
done

binary="$(packaging/build-release.sh | tail -1)"
echo "binary: $binary" >&2

rootfs="$work/rootfs"
if [ ! -x "$rootfs/usr/bin/env" ]; then
  rm -rf "$rootfs"
  # The same packages as the Dockerfile's runtime stage, on the smallest Debian base.
  debootstrap --variant=minbase --include=libssl3,zlib1g,ca-certificates bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
fi
chroot "$rootfs" /bin/sh -c 'id -u 10001 >/dev/null 2>&1 || useradd --system --uid 10001 --home-dir /var/lib/scalebridge --create-home scalebridge'
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin "$rootfs/var/cache/apt/archives/"*.deb
# What debian:bookworm-slim leaves out too: documentation, manuals, translations.
rm -rf "$rootfs/usr/share/doc/"* "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"* "$rootfs/usr/share/locale/"*
install -D -m 0755 "$binary" "$rootfs/usr/local/bin/scalebridge"
# Debug info off, symbols kept (Swift's crash backtraces name functions).
strip --strip-debug "$rootfs/usr/local/bin/scalebridge"

# The OCI image: one layer holding the root, and the Dockerfile's config.
layout="$work/oci"
rm -rf "$layout" "$work/bundle"
umoci init --layout "$layout"
umoci new --image "$layout:latest"
umoci unpack --image "$layout:latest" "$work/bundle" >/dev/null
rm -rf "$work/bundle/rootfs"
cp -a "$rootfs" "$work/bundle/rootfs"
umoci repack --image "$layout:latest" "$work/bundle"
umoci config --image "$layout:latest" --config.user 10001:10001 --config.workingdir /var/lib/scalebridge \
  --config.entrypoint /usr/local/bin/scalebridge --config.cmd run --config.cmd --config --config.cmd /etc/scalebridge/scalebridge.yaml \
  --config.cmd --log-format --config.cmd json --config.exposedports 9464/tcp --architecture amd64 --os linux
rm -rf "$work/bundle"

# The checks: size, user, entrypoint, and a real run.
python3 - "$layout" <<'PY'
import json, os, sys
layout = sys.argv[1]
index = json.load(open(os.path.join(layout, "index.json")))
def blob(digest):
    algorithm, value = digest.split(":")
    return os.path.join(layout, "blobs", algorithm, value)
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))["config"]
compressed = sum(layer["size"] for layer in manifest["layers"])
assert config["User"] == "10001:10001", config["User"]
assert config["Entrypoint"] == ["/usr/local/bin/scalebridge"], config["Entrypoint"]
assert config["Cmd"][:1] == ["run"], config["Cmd"]
print(f"image: {compressed / 1048576:.1f} MiB compressed, user {config['User']}, entrypoint {config['Entrypoint']}, cmd {config['Cmd']}")
PY
du -sh "$rootfs" | awk '{print "image: " $1 " unpacked"}'

# Run `once` on the quickstart inside the image, as its user, with no network.
umoci unpack --image "$layout:latest" "$work/run" >/dev/null
python3 - "$work/run/config.json" "$root/examples" <<'PY'
import json, sys
path, examples = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["process"]["args"] = ["/usr/local/bin/scalebridge", "once", "--config", "/etc/scalebridge/quickstart.yaml"]
spec["process"]["terminal"] = False
spec["root"]["readonly"] = True
spec["mounts"].append({"destination": "/etc/scalebridge", "type": "bind", "source": examples, "options": ["rbind", "ro"]})
json.dump(spec, open(path, "w"), indent=2)
PY
runner=""
for runtime in crun runc; do
  if command -v "$runtime" >/dev/null && "$runtime" run --bundle "$work/run" "scalebridge-image-$$" >"$work/run.out" 2>"$work/run.err"; then
    runner="$runtime"
    break
  fi
  command -v "$runtime" >/dev/null && echo "$runtime could not run the bundle here: $(tail -1 "$work/run.err" 2>/dev/null)" >&2
done
if [ -z "$runner" ]; then
  echo "no OCI runtime could run the bundle here; running the image's root with unshare + chroot as user 10001 instead" >&2
  mkdir -p "$work/run/rootfs/etc/scalebridge"
  # The binary reads its arguments from /proc/self/cmdline: the chroot needs its own /proc.
  unshare --mount --pid --net --fork sh -c 'mount --bind -o ro "$1" "$2/etc/scalebridge" && mount -t proc proc "$2/proc" && exec chroot --userspec=10001:10001 "$2" /usr/local/bin/scalebridge once --config /etc/scalebridge/quickstart.yaml' \
    sh "$root/examples" "$work/run/rootfs" >"$work/run.out" 2>"$work/run.err"
  runner="unshare+chroot"
fi
cat "$work/run.out"
grep -q "QueuedWorkersRequired 10" "$work/run.out" || { echo "the image did not print the quickstart's signals" >&2; cat "$work/run.err" >&2; exit 1; }
echo "image: scalebridge once ran inside the image ($runner) as user 10001 and printed the quickstart's signals"
