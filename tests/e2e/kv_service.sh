#!/usr/bin/env bash
# End-to-end: examples/kv-service (an HTTP key-value service over the
# crash-safe store, lib/store, on a disk image made by `cirage kv create`)
# on unix, spt (user-mode networking, a port forwarded on 127.0.0.1), hvt
# (where /dev/kvm works) and virtio (`cirage run` boots it in QEMU, with KVM
# or, slowly, TCG emulation; the image is a virtio-blk disk whose serial is
# the device's name, "db"), with curl:
#   - PUT (201, then 204 replacing), GET of binary values, 404, DELETE,
#     listings of the root and of a directory, 413 over --max-value,
#     POST /batch, /stats;
#   - the data survives a clean restart, and `cirage kv` reads it on the
#     host;
#   - kill -9 under write load, a few rounds: writers PUT fresh keys with
#     curl, a key is acknowledged when its PUT got a 2xx; the tender (or
#     the unix process; on virtio QEMU itself: the VM loses power) is
#     killed with SIGKILL mid-load, once the round has acknowledged a
#     PUT or two, and restarted on the same image: every acknowledged key
#     must be there with its exact value, a PUT in flight at the kill must
#     be absent or whole, and `cirage kv check --strict` must pass on the
#     image. virtio runs KV_SERVICE_VM_ROUNDS rounds (2), the others
#     KV_SERVICE_ROUNDS (3).
# KV_SERVICE_TARGETS="unix virtio" runs those targets only.
source "$(dirname "$0")/../lib.sh"
if ! command -v curl >/dev/null; then
	skip kv_service "curl is not installed (scripts/test.sh installs it)"
	exit 0
fi
if [ ! -x "$ROOT/build/bin/cirage-kv" ]; then
	skip kv_service "build/bin/cirage-kv is not built (it needs lib/store)"
	exit 0
fi
KV=("$CIRAGE" kv)
SRV=
stop() { if [ -n "$SRV" ]; then kill "${1:--TERM}" "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; SRV=; fi; }
trap 'stop; rm -rf "$TEST_TMP"' EXIT
free_port() { echo $((20000 + RANDOM % 30000)); }
ROUNDS=${KV_SERVICE_ROUNDS:-3}
VM_ROUNDS=${KV_SERVICE_VM_ROUNDS:-2}

# start TARGET: the service on a free port ($port, $U); 0 once it serves
start() {
	local d=$TEST_TMP/$1
	stop
	for _ in 1 2 3; do
		port=$(free_port)
		if [ "$1" = unix ]; then
			"$d/_build/kv-service" --port="$port" >>"$d.run" 2>&1 &
		else
			"$CIRAGE" run --forward="$port:8080" "$d" >>"$d.run" 2>&1 &
		fi
		SRV=$!
		U=http://127.0.0.1:$port
		if wait_log "$d.run" "serving on port" "$SRV" 300; then
			# the forward may take a moment after the guest listens
			for _ in $(seq 50); do
				curl -s -m 2 -o /dev/null "$U/stats" && return 0
				sleep 0.1
			done
		fi
		stop -KILL
	done
	return 1
}

# code METHOD PATH [CURL ARGS...]: the status code
code() {
	local m=$1 p=$2
	shift 2
	curl -s -m 10 -o /dev/null -w '%{http_code}' -X "$m" "$@" "$U$p"
}

# writer ID ROUND: PUT fresh keys until the service is gone; each PUT
# answered 2xx is appended to acked (key and value file), each attempted
# one to tried.
writer() {
	local id=$1 r=$2 i=0 k f c
	while :; do
		i=$((i + 1))
		k=kill/r$r/w$id/k$i
		f=$V/r$r-w$id-k$i
		case $((i % 4)) in
		0) head -c $((RANDOM * 8)) /dev/urandom >"$f" ;;
		*) head -c $((RANDOM % 200 + 1)) /dev/urandom >"$f" ;;
		esac
		echo "$k $f" >>"$V/tried.$id"
		c=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$f" "$U/k/$k")
		case $c in
		2??) echo "$k $f" >>"$V/acked" ;;
		*) return 0 ;;
		esac
	done
}

# kill_vm: SIGKILL to what runs the service: the unix process, the tender
# (`cirage run` became it), or QEMU (the child of `cirage run`, which then
# exits); then reap $SRV
kill_vm() {
	local victim=$SRV
	if [ "$t" = virtio ]; then
		victim=$(ps -o pid= --ppid "$SRV" | head -1 | tr -d ' ')
		[ -n "$victim" ] || victim=$SRV
	fi
	kill -KILL "$victim" 2>/dev/null
	wait "$SRV" 2>/dev/null
	SRV=
}

targets=(unix)
if [ -x "$ROOT/build/bin/cirage-spt" ] && [ -f "$ROOT/build/spt/libcirage.a" ]; then targets+=(spt); else
	skip spt_kv_service "the spt target is not built"; fi
if bash "$ROOT/tests/vm/kvm-works.sh" >/dev/null 2>&1 && [ -x "$ROOT/build/bin/cirage-hvt" ]; then targets+=(hvt); else
	skip hvt_kv_service "/dev/kvm does not work here (or cirage-hvt is not built)"; fi
if command -v qemu-system-x86_64 >/dev/null && [ -f "$ROOT/build/virtio/libcirage.a" ]; then targets+=(virtio); else
	skip virtio_kv_service "qemu-system-x86_64 is not installed (or the virtio target is not built)"; fi
if [ -n "${KV_SERVICE_TARGETS:-}" ]; then
	want=()
	for t in "${targets[@]}"; do [[ " $KV_SERVICE_TARGETS " == *" $t "* ]] && want+=("$t"); done
	targets=("${want[@]}")
fi

# prepare TARGET: the example copied, configured and built for TARGET in
# $TEST_TMP/TARGET; in TARGET.rc 0 (built), 1 (configure failed) or 2
prepare() {
	local d=$TEST_TMP/$1
	cp -r "$ROOT/examples/kv-service" "$d" && rm -rf "$d/_build" "$d/data.img"
	if ! "$CIRAGE" configure -t "$1" "$d" >"$d.log" 2>&1; then echo 1 >"$d.rc"; return; fi
	if ! "$CIRAGE" build "$d" >>"$d.log" 2>&1; then echo 2 >"$d.rc"; return; fi
	echo 0 >"$d.rc"
}
# every target's image built up front, two at a time (separate folders)
for t in "${targets[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
	prepare "$t" &
done
wait

for t in "${targets[@]}"; do
	T0=$SECONDS
	rounds=$ROUNDS
	[ "$t" = virtio ] && rounds=$VM_ROUNDS
	d=$TEST_TMP/$t
	V=$TEST_TMP/$t-values
	mkdir -p "$V"
	: >"$V/acked"
	case $(cat "$d.rc" 2>/dev/null) in
	0) pass "${t}_kv_service_builds" ;;
	1)
		if grep -q "not available" "$d.log"; then
			skip "${t}_kv_service" "$(grep -m1 'not available' "$d.log")"
		else fail "${t}_kv_service_builds" "$(tail -c 600 "$d.log")"; fi
		continue
		;;
	*) fail "${t}_kv_service_builds" "$(tail -c 600 "$d.log")"; continue ;;
	esac
	IMG=$d/data.img
	if ! "${KV[@]}" create "$IMG" --size=64M >>"$d.log" 2>&1; then fail "${t}_kv_image" "$(tail -c 300 "$d.log")"; continue; fi
	if ! start "$t"; then fail "${t}_kv_service_starts" "$(tail -c 600 "$d.run")"; continue; fi
	pass "${t}_kv_service_starts"

	# ---- the API ----
	head -c 70000 /dev/urandom >"$V/bin"
	head -c 2000000 /dev/urandom >"$V/huge"
	r="$(code PUT /k/docs/a.bin --data-binary @"$V/bin") $(code PUT /k/docs/a.bin --data-binary @"$V/bin")"
	r="$r $(code PUT /k/top --data-binary 'hello') $(code PUT /k/docs/sub/x --data-binary 'x')"
	if [ "$r" = "201 204 201 201" ]; then pass "${t}_kv_put"; else fail "${t}_kv_put" "statuses $r"; fi
	if curl -s -m 10 "$U/k/docs/a.bin" | cmp -s - "$V/bin" && [ "$(curl -s -m 10 "$U/k/top")" = hello ]; then
		pass "${t}_kv_get_binary"
	else fail "${t}_kv_get_binary" "a value read back differs"; fi
	r="$(code GET /k/nothere) $(code GET /k/docs/nothere)"
	if [ "$r" = "404 404" ]; then pass "${t}_kv_get_missing_404"; else fail "${t}_kv_get_missing_404" "statuses $r"; fi
	out=$(curl -s -m 10 "$U/k/")
	out2=$(curl -s -m 10 "$U/k/docs/")
	if [ "$out" = $'docs/\ntop' ] && [ "$out2" = $'a.bin\nsub/' ]; then pass "${t}_kv_list"; else
		fail "${t}_kv_list" "root: $(tr '\n' ' ' <<<"$out"), docs: $(tr '\n' ' ' <<<"$out2")"; fi
	r="$(code DELETE /k/top) $(code GET /k/top) $(code DELETE /k/top)"
	if [ "$r" = "204 404 404" ]; then pass "${t}_kv_delete"; else fail "${t}_kv_delete" "statuses $r"; fi
	r="$(code PUT /k/huge --data-binary @"$V/huge") $(code PUT /k/huge -H 'Transfer-Encoding: chunked' --data-binary @"$V/huge") $(code GET /k/huge)"
	if [ "$r" = "413 413 404" ]; then pass "${t}_kv_413_over_max_value"; else fail "${t}_kv_413_over_max_value" "statuses $r"; fi
	r=$(printf 'SET b/one 3\nabc\nSET b/two 0\n\nDEL docs/sub/x\n' | curl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @- "$U/batch")
	if [ "$r" = 200 ] && [ "$(curl -s -m 10 "$U/k/b/one")" = abc ] && [ "$(code GET /k/b/two)" = 200 ] &&
		[ "$(code GET /k/docs/sub/x)" = 404 ]; then
		pass "${t}_kv_batch"
	else fail "${t}_kv_batch" "status $r"; fi
	r=$(printf 'SET b/three 3\nabc\nSET b/one 99\nabc\n' | curl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @- "$U/batch")
	if [ "$r" = 400 ] && [ "$(code GET /k/b/three)" = 404 ]; then pass "${t}_kv_batch_malformed_changes_nothing"; else
		fail "${t}_kv_batch_malformed_changes_nothing" "status $r"; fi
	if curl -s -m 10 "$U/stats" | grep -q '^puts [1-9]'; then pass "${t}_kv_stats"; else fail "${t}_kv_stats" "$(curl -s -m 10 "$U/stats" | head -3)"; fi

	# ---- a clean restart, and the host tool on the image ----
	stop
	if "${KV[@]}" get "$IMG" docs/a.bin | cmp -s - "$V/bin" && "${KV[@]}" check "$IMG" >/dev/null; then
		pass "${t}_kv_host_tool_reads_image"
	else fail "${t}_kv_host_tool_reads_image" "$("${KV[@]}" check "$IMG" 2>&1 | tail -2)"; fi
	printf 'from the host' | "${KV[@]}" put "$IMG" host/note -
	if start "$t" && curl -s -m 10 "$U/k/docs/a.bin" | cmp -s - "$V/bin" &&
		[ "$(curl -s -m 10 "$U/k/host/note")" = "from the host" ] && [ "$(curl -s -m 10 "$U/k/b/one")" = abc ]; then
		pass "${t}_kv_survives_restart"
	else fail "${t}_kv_survives_restart" "$(tail -c 300 "$d.run")"; fi

	# ---- kill -9 under write load ----
	ok=1 why=
	for round in $(seq "$rounds"); do
		if [ -z "$SRV" ] && ! start "$t"; then ok=0 why="round $round: no restart: $(tail -c 300 "$d.run")"; break; fi
		rm -f "$V"/tried.*
		writer 1 "$round" &
		w1=$!
		writer 2 "$round" &
		w2=$!
		# mid-load: once this round has an acknowledged PUT or two (at
		# once on unix, spt, hvt; a while under TCG), a moment more
		a0=$(wc -l <"$V/acked")
		for _ in $(seq 200); do
			[ "$(wc -l <"$V/acked")" -ge $((a0 + 2)) ] && break
			sleep 0.1
		done
		sleep "0.$((RANDOM % 6 + 4))"
		kill_vm
		wait "$w1" "$w2"
		if ! "${KV[@]}" check --strict "$IMG" >"$V/check" 2>&1; then ok=0 why="round $round: cirage kv check: $(tail -2 "$V/check")"; break; fi
		if ! start "$t"; then ok=0 why="round $round: no restart: $(tail -c 300 "$d.run")"; break; fi
		# every acknowledged key, from every round so far: fetched by one
		# curl (a status line for each, the bodies in got/N), each 200
		# with its exact value
		rm -rf "$V/got" && mkdir "$V/got"
		urls=() i=0
		while read -r k f; do i=$((i + 1)) && urls+=("$U/k/$k" -o "$V/got/$i"); done <"$V/acked"
		curl -s -m 10 -w '%{http_code}\n' "${urls[@]}" >"$V/codes"
		mapfile -t codes <"$V/codes"
		i=0
		while read -r k f; do
			i=$((i + 1))
			# (curl writes no file for an empty body)
			if [ "${codes[i - 1]:-}" != 200 ] || ! { cmp -s "$V/got/$i" "$f" || { [ ! -s "$f" ] && [ ! -s "$V/got/$i" ]; }; }; then
				ok=0 why="round $round: acknowledged $k lost or wrong (status ${codes[i - 1]:-none})"
				break 2
			fi
		done <"$V/acked"
		# the PUT each writer had in flight: absent or whole
		for w in 1 2; do
			read -r k f < <(tail -1 "$V/tried.$w")
			grep -q "^$k " "$V/acked" && continue
			c=$(curl -s -m 10 -o "$V/inflight" -w '%{http_code}' "$U/k/$k")
			if [ "$c" = 200 ] && ! cmp -s "$V/inflight" "$f"; then ok=0 why="round $round: unacknowledged $k is half there"; break 2; fi
		done
	done
	n=$(wc -l <"$V/acked")
	echo "  ($t: $n PUTs acknowledged over $rounds kill -9 rounds)"
	if [ $ok = 1 ] && [ "$n" -gt 0 ]; then pass "${t}_kv_kill9_acknowledged_writes_survive"; else
		fail "${t}_kv_kill9_acknowledged_writes_survive" "${why:-no PUT was acknowledged} ($n acknowledged)"; fi
	stop
	if "${KV[@]}" check --strict "$IMG" >"$V/check" 2>&1; then pass "${t}_kv_kill9_image_checks"; else
		fail "${t}_kv_kill9_image_checks" "$(tail -2 "$V/check")"; fi
	echo "  ($t: $((SECONDS - T0)) s)"
done
exit 0
