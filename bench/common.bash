# bench/common.bash - sourced by the benchmarks: the boot table (bench/*-boot.sh)
# and the network namespaces the network benchmarks set up.
#
# netns_veth NS_A ADDR_A NS_B ADDR_B
#   Creates namespaces NS_A and NS_B (loopback up) joined by a veth pair,
#   vA in NS_A and vB in NS_B, with ADDR_A and ADDR_B (address/prefix), up.
# netns_tap NS DEV ADDR
#   Creates namespace NS when it does not exist (loopback up) and a tap DEV
#   in it with ADDR (address/prefix), up: the host side of a unikernel.
#   The caller deletes the namespaces (its cleanup), which removes both.
#
# boot_table RUNS ROUNDS DIR ENTRY...
#   ENTRY is "LABEL|SIZE|CMD ARGS..." (arguments without spaces). Runs every
#   command RUNS times in all (rounded up to a multiple of ROUNDS) with
#   build/bench/bench-exec, the commands taking turns in ROUNDS rounds so
#   that a change in the host's load weighs on all of them alike; keeps the
#   samples in DIR; prints one row per entry: median and 90th percentile of
#   fork-to-exit (microseconds), peak RSS, SIZE and the last exit status.
#   Sets MEDIAN[i] (the median of entry i) and BOOT_RUNS (runs made each).
# shellcheck disable=SC2034 # MEDIAN and BOOT_RUNS are for the caller
declare -a MEDIAN
boot_table() {
	local runs=$1 rounds=$2 dir=$3 per r i label size cmd med p90
	shift 3
	local entries=("$@")
	per=$(((runs + rounds - 1) / rounds))
	# shellcheck disable=SC2034
	BOOT_RUNS=$((per * rounds))
	rm -f "$dir"/raw.* "$dir"/last.*
	for ((r = 0; r < rounds; r++)); do
		for i in "${!entries[@]}"; do
			IFS='|' read -r _ _ cmd <<<"${entries[$i]}"
			# shellcheck disable=SC2086 # split on purpose
			build/bench/bench-exec -o "$dir/raw.$i" "$per" $cmd >"$dir/last.$i"
		done
	done
	printf '%-40s %10s %10s %10s %9s %8s\n' "what" "median_us" "p90_us" "rss_kb" "bytes" "status"
	for i in "${!entries[@]}"; do
		IFS='|' read -r label size _ <<<"${entries[$i]}"
		read -r med p90 < <(sort -n "$dir/raw.$i" |
			awk '{ a[NR] = $1 } END { printf "%.1f %.1f\n", a[int(NR / 2) + 1], a[int(NR * 9 / 10) + 1] }')
		# shellcheck disable=SC2034
		MEDIAN[i]=$med
		printf '%-40s %10s %10s %10s %9s %8s\n' "$label" "$med" "$p90" \
			"$(sed 's/.*maxrss_kb=\([^ ]*\).*/\1/' "$dir/last.$i")" "$size" \
			"$(sed 's/.*status=\([^ ]*\).*/\1/' "$dir/last.$i")"
	done
}

netns_veth() {
	local ns
	for ns in "$1" "$3"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip link add vA netns "$1" type veth peer name vB netns "$3"
	ip -n "$1" addr add "$2" dev vA
	ip -n "$1" link set vA up
	ip -n "$3" addr add "$4" dev vB
	ip -n "$3" link set vB up
}

netns_tap() {
	if ! ip netns list | grep -qw -- "$1"; then
		ip netns add "$1"
		ip -n "$1" link set lo up
	fi
	ip -n "$1" tuntap add dev "$2" mode tap
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" link set "$2" up
}
