/* SPDX-License-Identifier: ISC */
/* Cirage's own stack (lib/net) over a tap device: what
 * `cirage configure -t unix --net=direct` generates for a `stack` device. */
#include <cirage/compose/net.h>
#include <cirage/compose/unix.h>

int cr_unix_net_stack_open(cr_stack **out, const char *tap, cr_ipv4_prefix ipv4, cr_ipaddr gateway,
                           int64_t tcp_conns, int64_t tcp_buffer_kib)
{
	struct cr_net_config cfg = {ipv4, gateway, tcp_conns, tcp_buffer_kib};
	cr_netif *netif;
	int rc;

	if (!tap || !*tap)
		return -ENODEV;
	rc = cr_unix_netif_open(&netif, tap);
	if (rc < 0)
		return rc;
	return cr_net_stack_open(out, netif, &cfg);
}
