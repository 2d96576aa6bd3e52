/* SPDX-License-Identifier: ISC */
/* Unit tests of the unix tap netif (platform/unix/netif_tap.c). They need
 * root (CAP_NET_ADMIN) and /dev/net/tun, and run in a network namespace of
 * their own (unshare(CLONE_NEWNET)), so the host's interfaces are never
 * touched: the taps vanish with the process. Otherwise they are skipped. */
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/platform/platform.h>
#include <cirage/compose/unix.h>

#include "check.h"

#define STACK_SIZE (256 * 1024)

static const char *skip_reason;
static char tap_name[IFNAMSIZ];
static cr_netif *netif;

/* ---- helpers, in our own namespace ---- */

static int if_index(const char *name)
{
	return (int)if_nametoindex(name);
}

/* rx_packets of an interface as the kernel counts it, or -1. */
static long long rx_packets(const char *name)
{
	struct ifaddrs *ifa, *i;
	long long n = -1;
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
		    !strcmp(i->ifa_name, name))
			n = ((struct rtnl_link_stats *)i->ifa_data)->rx_packets;
	freeifaddrs(ifa);
	return n;
}

/* Send a frame out of the interface from the host side: it arrives at the
 * tap's fd, i.e. at the netif. */
static int host_send(const char *name, const void *frame, size_t len)
{
	struct sockaddr_ll ll;
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ssize_t n;
	if (s < 0)
		return -errno;
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_ifindex = if_index(name);
	ll.sll_halen = 6;
	memcpy(ll.sll_addr, frame, 6);
	n = sendto(s, frame, len, 0, (struct sockaddr *)&ll, sizeof(ll));
	close(s);
	return n == (ssize_t)len ? 0 : -errno;
}

static void disable_ipv6(const char *name)
{
	char p[128];
	int fd;
	snprintf(p, sizeof(p), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(p, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			perror(p);
		close(fd);
	}
}

static void tap_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	CHECK(s >= 0);
	CHECK_EQ(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
}

static void make_frame(uint8_t *f, size_t len, const uint8_t src[6], uint8_t tag)
{
	memset(f, 0xff, 6); /* broadcast */
	memcpy(f + 6, src, 6);
	f[12] = 0x88; /* EtherType 0x88b5: local experimental */
	f[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(tag + i);
}

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

/* ---- tests ---- */

TEST(open_and_info)
{
	struct cr_netif_info info, info2;
	uint8_t hostmac[6];
	cr_netif *other;
	char name2[IFNAMSIZ];

	if (skip_reason)
		SKIP(skip_reason);
	snprintf(tap_name, sizeof(tap_name), "crt%d", (int)getpid() % 1000000);
	CHECK_EQ(cr_unix_netif_open(&netif, tap_name), 0);
	CHECK(if_index(tap_name) > 0);
	disable_ipv6(tap_name); /* keep the host side quiet */
	CHECK_EQ(cr_netif_info(netif, &info), 0);
	CHECK_EQ(info.mtu, 1500);
	CHECK((info.mac[0] & 1) == 0); /* unicast */
	CHECK((info.mac[0] & 2) == 2); /* locally administered */
	tap_mac(tap_name, hostmac);
	CHECK(memcmp(hostmac, info.mac, 6) != 0); /* ours, not the tap's */
	CHECK_EQ(cr_netif_info(netif, NULL), -EINVAL);
	/* A tap with another MTU; and each netif gets its own MAC. */
	snprintf(name2, sizeof(name2), "crt%db", (int)getpid() % 1000000);
	CHECK_EQ(cr_unix_netif_open(&other, name2), 0);
	disable_ipv6(name2);
	CHECK_EQ(cr_netif_info(other, &info2), 0);
	CHECK(memcmp(info.mac, info2.mac, 6) != 0);
	/* A second attach to a tap without IFF_MULTI_QUEUE is refused. */
	CHECK_EQ(cr_unix_netif_open(&other, name2), -EBUSY);
}

/* An existing (persistent) tap with another MTU. */
TEST(existing_tap_mtu)
{
	struct cr_netif_info info;
	struct ifreq ifr;
	cr_netif *n;
	int fd, s;

	if (skip_reason)
		SKIP(skip_reason);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "crt%dm", (int)getpid() % 1000000);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	CHECK_EQ(ioctl(fd, TUNSETIFF, &ifr), 0);
	CHECK_EQ(ioctl(fd, TUNSETPERSIST, 1), 0); /* dies with the namespace */
	close(fd);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	ifr.ifr_mtu = 9000;
	CHECK_EQ(ioctl(s, SIOCSIFMTU, &ifr), 0);
	close(s);
	disable_ipv6(ifr.ifr_name);
	CHECK_EQ(cr_unix_netif_open(&n, ifr.ifr_name), 0);
	CHECK_EQ(cr_netif_info(n, &info), 0);
	CHECK_EQ(info.mtu, 9000);
}

TEST(open_errors)
{
	cr_netif *n;
	/* Bad arguments are refused before the device is touched. */
	CHECK_EQ(cr_unix_netif_open(&n, ""), -EINVAL);
	CHECK_EQ(cr_unix_netif_open(&n, NULL), -EINVAL);
	CHECK_EQ(cr_unix_netif_open(NULL, "crx"), -EINVAL);
	CHECK_EQ(cr_unix_netif_open(&n, "a-name-far-too-long-for-ifnamsiz"), -EINVAL);
	CHECK_EQ(cr_unix_netif_open(&n, "a/b"), -EINVAL);
	if (skip_reason)
		SKIP(skip_reason);
	CHECK_EQ(cr_unix_netif_open(&n, "lo"), -EINVAL); /* not a tap */
}

TEST(write_frames)
{
	struct cr_netif_info info;
	static uint8_t frame[9100];
	long long rx0, rx1;

	if (skip_reason)
		SKIP(skip_reason);
	CHECK(netif != NULL);
	CHECK_EQ(cr_netif_info(netif, &info), 0);
	rx0 = rx_packets(tap_name);
	CHECK(rx0 >= 0);
	make_frame(frame, 60, info.mac, 1);
	CHECK_EQ(cr_netif_write(netif, frame, 60), 0);
	CHECK_EQ(cr_netif_write(netif, frame, 14), 0);
	make_frame(frame, info.mtu + 14, info.mac, 2);
	CHECK_EQ(cr_netif_write(netif, frame, info.mtu + 14), 0);
	rx1 = rx_packets(tap_name);
	CHECK_EQ(rx1 - rx0, 3); /* the host side received them */
	/* length checks */
	CHECK_EQ(cr_netif_write(netif, frame, 13), -EINVAL);
	CHECK_EQ(cr_netif_write(netif, frame, 0), -EINVAL);
	CHECK_EQ(cr_netif_write(netif, frame, info.mtu + 15), -EINVAL);
	CHECK_EQ(cr_netif_write(netif, NULL, 60), -EINVAL);
	CHECK_EQ(rx_packets(tap_name), rx1);
}

static int main_read(void *arg)
{
	struct cr_netif_info info;
	uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x42};
	static uint8_t out[256], in[2048];
	cr_ssize_t n;
	uint64_t t0;
	(void)arg;

	CHECK_EQ(cr_netif_info(netif, &info), 0);
	/* Drain anything the host sent before IPv6 was disabled. */
	while (cr_netif_read(netif, in, sizeof(in), CR_MS(20)) > 0)
		;
	/* nothing arrives: timeout */
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_netif_read(netif, in, sizeof(in), CR_MS(50)), -ETIMEDOUT);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(50));
	CHECK_EQ(cr_netif_read(netif, NULL, sizeof(in), CR_MS(1)), -EINVAL);
	/* a frame from the host side arrives whole */
	make_frame(out, 100, src, 7);
	CHECK_EQ(host_send(tap_name, out, 100), 0);
	n = cr_netif_read(netif, in, sizeof(in), CR_SEC(5));
	CHECK_EQ(n, 100);
	CHECK(memcmp(in, out, 100) == 0);
	/* too long for the buffer: dropped with -EMSGSIZE, the next is fine */
	make_frame(out, 200, src, 8);
	CHECK_EQ(host_send(tap_name, out, 200), 0);
	make_frame(out, 64, src, 9);
	CHECK_EQ(host_send(tap_name, out, 64), 0);
	CHECK_EQ(cr_netif_read(netif, in, 199, CR_SEC(5)), -EMSGSIZE);
	CHECK_EQ(cr_netif_read(netif, in, sizeof(in), CR_SEC(5)), 64);
	CHECK(memcmp(in, out, 64) == 0);
	/* exactly fitting */
	make_frame(out, 80, src, 10);
	CHECK_EQ(host_send(tap_name, out, 80), 0);
	CHECK_EQ(cr_netif_read(netif, in, 80, CR_SEC(5)), 80);
	CHECK(memcmp(in, out, 80) == 0);
	return 0;
}

TEST(read_frames)
{
	if (skip_reason)
		SKIP(skip_reason);
	CHECK(netif != NULL);
	CHECK_EQ(cr_sched_main(main_read, NULL, STACK_SIZE), 0);
}

int main(void)
{
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	if (geteuid() != 0)
		skip_reason = "needs root (CAP_NET_ADMIN) to create a tap";
	else if (access("/dev/net/tun", R_OK | W_OK) != 0)
		skip_reason = "/dev/net/tun is not usable";
	else if (unshare(CLONE_NEWNET) != 0)
		skip_reason = "cannot create a network namespace (unshare CLONE_NEWNET)";
	RUN(open_and_info);
	RUN(existing_tap_mtu);
	RUN(open_errors);
	RUN(write_frames);
	RUN(read_frames);
	return CHECK_DONE();
}
