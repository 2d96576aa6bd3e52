/* SPDX-License-Identifier: ISC */
/* Cirage's own stack (lib/net) over the netif the tender attached under the
 * stack device's name: what `cirage configure -t spt` generates for a
 * `stack` device. */
#include <cirage/compose/net.h>
#include <cirage/compose/spt.h>

int cr_spt_net_stack_open(cr_stack **out, const char *name, cr_ipv4_prefix ipv4, cr_ipaddr gateway,
                          int64_t tcp_conns, int64_t tcp_buffer_kib)
{
	struct cr_net_config cfg = {ipv4, gateway, tcp_conns, tcp_buffer_kib};
	cr_netif *netif;
	int rc = cr_spt_netif_open(&netif, name);

	if (rc < 0)
		return rc;
	return cr_net_stack_open(out, netif, &cfg);
}
