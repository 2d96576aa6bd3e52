#!/usr/bin/env bash
# Devices: matching the attachments with the manifest, block I/O inside and
# outside the rules of the filter, and a net device over a tap in a
# network namespace of our own.
source "$(dirname "$0")/common.bash"

T=$G/tester_block
disk=$TEST_TMP/disk.img rodisk=$TEST_TMP/ro.img small=$TEST_TMP/small.img
truncate -s 1M "$disk"
truncate -s 4097 "$rodisk" # capacity 4096: the odd byte is not a sector
head -c 100 /dev/zero >"$small"
B=("$SPT" --block:disk="$disk" --block:rodisk="$rodisk" "$T")

# Matching, both ways.
refuse missing_device "cirage-spt: device 'disk' (block) is declared by the image but not attached: pass --block:disk=FILE" \
	"$SPT" "$T"
refuse missing_second_device "device 'rodisk' (block) is declared by the image but not attached: pass --block:rodisk=FILE" \
	"$SPT" --block:disk="$disk" "$T"
refuse undeclared_device "cirage-spt: device 'extra' is attached but $T does not declare it (it declares: disk (block), rodisk (block))" \
	"${B[@]:0:3}" --block:extra="$disk" "$T"
refuse undeclared_none "device 'disk' is attached but $G/hello does not declare it (it declares no devices)" \
	"$SPT" --block:disk="$disk" "$G/hello"
refuse wrong_kind "cirage-spt: device 'disk' is declared by $T as block, not net: pass --block:disk=FILE" \
	"$SPT" --net:disk=tap0 --block:rodisk="$rodisk" "$T"
refuse block_file_missing "block device 'disk': cannot open $TEST_TMP/none: No such file or directory" \
	"$SPT" --block:disk="$TEST_TMP/none" --block:rodisk="$rodisk" "$T"
refuse block_too_small "block device 'disk': $small has 100 bytes, fewer than one 512-byte sector" \
	"$SPT" --block:disk="$small" --block:rodisk="$rodisk" "$T"
refuse block_not_a_file "block device 'disk': /dev/null is not a regular file or a block device" \
	"$SPT" --block:disk=/dev/null --block:rodisk="$rodisk" "$T"

# What the guest sees: manifest order, capacities rounded down to sectors,
# read-only from the manifest.
expect block_boot_info 0 "${B[@]}" devices :: \
	"dev disk kind 2 flags 0 handle 3 capacity 1048576 sector 512" \
	"dev rodisk kind 2 flags 1 handle 4 capacity 4096 sector 512"

# I/O within the rules: 512 * 2^k bytes, k = 0..7, at both ends, fdatasync.
expect block_read_write 0 "${B[@]}" "block-rw disk" :: "block-rw ok"
expect block_last_sector 0 "${B[@]}" "sys 17 fd:rodisk buf 512 cap:rodisk-512" \
	"sys 17 fd:disk buf 65536 cap:disk-65536" :: "sys 17 = 512" "sys 17 = 65536"
expect block_whole_small_device 0 "${B[@]}" "sys 17 fd:rodisk buf 4096 0" :: "sys 17 = 4096"
printf 'ABCD' | dd of="$rodisk" bs=1 seek=512 conv=notrunc status=none
expect block_reads_file 0 "${B[@]}" "sys 17 fd:rodisk buf 512 512" "sys 1 1 buf 4" :: "ABCDsys 1 = 4"

# ... and outside them: the guest is stopped.
stopped block_beyond_capacity "system call 17 (pread64) with refused arguments (0x4, " \
	"${B[@]}" "sys 17 fd:rodisk buf 512 cap:rodisk-511"
stopped block_beyond_capacity_64k "system call 17 (pread64) with refused arguments" \
	"${B[@]}" "sys 17 fd:disk buf 65536 cap:disk-65535"
stopped block_count_not_power_of_two "inside an attached block device" \
	"${B[@]}" "sys 17 fd:disk buf 1000 0"
stopped block_count_too_large ", 0x20000, 0x0) at rip" \
	"${B[@]}" "sys 17 fd:disk buf 131072 0"
stopped block_count_over_capacity ", 0x2000, 0x0) at rip" \
	"${B[@]}" "sys 17 fd:rodisk buf 8192 0"
stopped block_negative_offset ", 0xfffffffffffffe00) at rip" \
	"${B[@]}" "sys 17 fd:disk buf 512 -512"
stopped block_fd_high_bits "(0x100000003, " \
	"${B[@]}" "sys 17 0x100000003 buf 512 0"
stopped block_count_high_bits "system call 18 (pwrite64) with refused arguments" \
	"${B[@]}" "sys 18 fd:disk buf 0x100000200 0"
stopped block_not_a_device "system call 17 (pread64) with refused arguments (0x1, " \
	"${B[@]}" "sys 17 1 buf 512 0"
stopped block_write_read_only "system call 18 (pwrite64) with refused arguments (0x4, " \
	"${B[@]}" "sys 18 fd:rodisk buf 512 0"
stopped block_sync_read_only "system call 75 (fdatasync) with refused arguments (0x4)" \
	"${B[@]}" "sys 75 fd:rodisk"
expect block_sync 0 "${B[@]}" "sys 75 fd:disk" :: "sys 75 = 0"
stopped block_read_not_net "forbidden system call 0 (read)" "${B[@]}" "sys 0 fd:disk buf 512"

# A read-only file (or file system) gives a read-only device: simulated
# with a read-only bind mount, since root may write any file.
ro_dir=$TEST_TMP/ro
mkdir -p "$ro_dir" && cp "$disk" "$ro_dir/w.img"
if mount --bind "$ro_dir" "$ro_dir" 2>/dev/null && mount -o remount,bind,ro "$ro_dir" 2>/dev/null; then
	expect block_readonly_file 0 "$SPT" --block:disk="$ro_dir/w.img" --block:rodisk="$rodisk" "$T" devices :: \
		"dev disk kind 2 flags 1 handle 3"
	umount "$ro_dir"
else
	umount "$ro_dir" 2>/dev/null
	skip block_readonly_file "cannot make a read-only bind mount here"
fi

# Net: a tap inside a network namespace made for this test (never a host
# interface). The guest writes a frame, which the namespace's kernel
# receives, and reads one (IPv6 or ARP traffic the kernel sends there).
N=$G/tester_net
refuse net_missing "device 'net0' (net) is declared by the image but not attached: pass --net:net0=TAP" "$SPT" "$N"
ns=cirage-spt-$$
if ! [ -c /dev/net/tun ] || ! ip netns add "$ns" 2>/dev/null; then
	for t in net_boot_info net_boot_info_no_offload net_bad_tap_option net_mac_local_unicast net_frame net_frame_received \
		net_write_other_fd net_not_a_tap; do
		skip $t "no /dev/net/tun or no network namespaces here"
	done
	exit 0
fi
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
in_ns=(ip netns exec "$ns")
in_ns() { "${in_ns[@]}" "$@"; }
in_ns ip tuntap add dev tap0 mode tap &&
	in_ns ip link set tap0 mtu 1400 &&
	in_ns ip link set tap0 up &&
	in_ns ip addr add 10.77.0.1/24 dev tap0 || { fail net_setup "cannot create the tap in $ns"; exit 0; }
# Datagrams to a neighbour that does not exist, while the guest runs: the
# kernel sends ARP requests for it out of the tap (besides its own IPv6
# traffic once the tap has a carrier).
in_ns timeout 10 bash -c 'while :; do echo x >/dev/udp/10.77.0.2/9; sleep 0.2; done' >/dev/null 2>&1 &
pinger=$!
# By default the tap carries a virtio-net header (flags 2: CR_ABI_DEV_NET_VNET);
# offload=off gives plain frames, which this raw guest writes.
expect net_boot_info 0 "${in_ns[@]}" "$SPT" --net:net0=tap0 "$N" devices :: "dev net0 kind 1 flags 2 handle 3" "mtu 1400"
expect net_boot_info_no_offload 0 "${in_ns[@]}" "$SPT" --net:net0=tap0,offload=off "$N" devices :: "dev net0 kind 1 flags 0 handle 3"
expect net_bad_tap_option 2 "${in_ns[@]}" "$SPT" --net:net0=tap0,fast=yes "$N" :: "unknown tap option 'fast=yes'"
mac=$(in_ns "$SPT" --net:net0=tap0 "$N" devices 2>&1 | grep -o 'mac [0-9a-f:]*' | cut -c5-)
if [[ $mac =~ ^[0-9a-f][26ae]: ]]; then pass net_mac_local_unicast; else fail net_mac_local_unicast "mac '$mac'"; fi
before=$(in_ns cat /sys/class/net/tap0/statistics/rx_packets)
expect net_frame 0 "${in_ns[@]}" "$SPT" --net:net0=tap0,offload=off "$N" "net net0" :: "net wrote 60" "net read "
after=$(in_ns cat /sys/class/net/tap0/statistics/rx_packets)
if [ "$after" -gt "$before" ]; then pass net_frame_received; else fail net_frame_received "rx_packets $before -> $after"; fi
stopped net_write_other_fd "system call 1 (write) with refused arguments (0x7, " \
	"${in_ns[@]}" "$SPT" --net:net0=tap0 "$N" "sys 1 7 buf 1"
refuse net_not_a_tap "cirage-spt: net device 'net0': cannot attach tap 'lo': " \
	"${in_ns[@]}" "$SPT" --net:net0=lo "$N"
kill "$pinger" 2>/dev/null
wait
