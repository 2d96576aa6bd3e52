/* SPDX-License-Identifier: ISC */
/* udp-echo: send every datagram back to where it came from (RFC 862). */
#include "cirage_app.h"

int udp_echo_start(cr_stack *net)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()}, peer;
	static char buf[65536];
	uint64_t n = 0;
	cr_udp *u;
	int rc = cr_udp_bind(net, &local, &u);

	if (rc < 0) {
		cr_log("udp-echo: cannot bind port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	cr_log("udp-echo: answering on UDP port %u", local.port);
	for (;;) {
		cr_ssize_t len = cr_udp_recvfrom(u, buf, sizeof(buf), &peer, CR_FOREVER);
		if (len < 0) {
			cr_log("udp-echo: receive: %s", cr_strerror((int)len));
			continue;
		}
		rc = (int)cr_udp_sendto(u, buf, (size_t)len, &peer);
		if (rc < 0) {
			char who[CR_SOCKADDR_STRLEN];
			cr_log("udp-echo: send to %s: %s",
			       cr_sockaddr_format(&peer, who, sizeof(who)), cr_strerror(rc));
		}
		if (++n % 1000 == 0)
			cr_log("udp-echo: %llu datagrams echoed", (unsigned long long)n);
	}
}
