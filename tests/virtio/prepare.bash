#!/usr/bin/env bash
# tests/virtio/prepare.bash - build what the virtio tests boot: a virtio
# image of every example and test application (examples/, tests/virtio/apps,
# and hvt's and e2e's test applications: tests/hvt/apps, tests/e2e/apps),
# each configured and built in a copy under build/tests/virtio/apps/ (the
# tests run `cirage run` on those folders), the images also copied to
# build/tests/virtio/images/ (for QEMU by hand). The examples' own _build
# folders are left alone. A copy whose sources are unchanged is kept, and
# its build is then incremental. Quiet unless something fails.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
make -s -j"$(nproc)" all
[ -s build/virtio/libcirage.a ] || { echo "build/virtio/libcirage.a was not built" >&2; exit 1; }
OUT=build/tests/virtio/images
W=build/tests/virtio/apps
LOGS=build/tests/virtio/logs
mkdir -p "$OUT" "$W" "$LOGS"
rm -f "$OUT"/*.virtio "$LOGS"/*.log

# one APP-DIR: copy (when changed), configure, build, copy the image out
one() {
	local app=$1 name
	name=$(basename "$app")
	if ! diff -rq -x _build "$app" "$W/$name" >/dev/null 2>&1; then
		rm -rf "${W:?}/$name"
		cp -rL "$app" "$W/$name" # -L: https-website links to static-website
		rm -rf "$W/$name/_build"
	fi
	build/bin/cirage configure -t virtio "$W/$name" &&
		build/bin/cirage build "$W/$name" &&
		cp "$W/$name/_build/"*.virtio "$OUT/"
}

pids=() names=() failed=0
jobs=$(nproc 2>/dev/null || echo 2)
for app in examples/*/ tests/virtio/apps/*/ tests/hvt/apps/*/ tests/e2e/apps/*/; do
	[ -f "$app/cirage.toml" ] || continue
	app=${app%/}
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
	one "$app" >"$LOGS/$(basename "$app").log" 2>&1 &
	pids+=($!) names+=("$app")
done
for i in "${!pids[@]}"; do
	if ! wait "${pids[$i]}"; then
		echo "building ${names[$i]} for virtio failed:" >&2
		tail -20 "$LOGS/$(basename "${names[$i]}").log" >&2
		failed=1
	fi
done
exit $failed
