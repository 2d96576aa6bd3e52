# scripts/deps.sh - install the Debian packages Cirage needs, when missing.
# Sourced by scripts/demo.sh and scripts/test.sh. Usage: need_packages PKG...
need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "cirage: these Debian packages are missing: ${missing[*]}" >&2
		echo "cirage: run as root, or: sudo apt-get install ${missing[*]}" >&2
		return 1
	fi
	echo "cirage: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	if [ -z "${CIRAGE_APT_UPDATED:-}" ]; then
		apt-get update -q >/dev/null || return 1
		CIRAGE_APT_UPDATED=1
	fi
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

# What building and running unikernels needs.
BUILD_PACKAGES=(gcc make libc6-dev libslirp-dev musl-tools libbearssl-dev ca-certificates)
# What the test suite needs on top: fuzzing (clang + libFuzzer runtime),
# formatting, real clients (socat, curl, wrk; wget, python3's ssl and
# sslscan for the HTTPS website) and servers (nginx-light, for the TLS
# client), strace, namespaces, and the
# test VM of tests/vm/ (QEMU, static busybox, cpio, xz), bsdtar (libarchive-tools:
# archives the tar store must read), and for DNS: unbound and dnsmasq as
# real servers for the resolver, dnspython for scripted ones, dig and kdig
# as real clients of the authoritative server.
TEST_PACKAGES=(clang openssl nginx-light libclang-rt-14-dev clang-format socat iproute2 iputils-ping procps git dnsmasq-base curl wget python3 sslscan wrk strace gdb qemu-system-x86 busybox-static cpio xz-utils libarchive-tools unbound python3-dnspython bind9-dnsutils knot-dnsutils)
