/* TEMPORARY: weak stand-ins until gdb.c and core.c land. */
#include "hvt.h"
__attribute__((weak)) int hvt_gdb_init(struct hvt *h, unsigned port, bool wait, char *err,
                                       size_t errlen)
{
	(void)h;
	(void)port;
	(void)wait;
	(void)err;
	(void)errlen;
	return -38;
}
__attribute__((weak)) int hvt_gdb_fd(void)
{
	return -1;
}
__attribute__((weak)) void hvt_gdb_check(struct hvt *h)
{
	(void)h;
}
__attribute__((weak)) void hvt_gdb_debug_exit(struct hvt *h)
{
	(void)h;
}
__attribute__((weak)) void hvt_gdb_guest_end(struct hvt *h, int s, int g)
{
	(void)h;
	(void)s;
	(void)g;
}
__attribute__((weak)) int hvt_core_init(const char *d, char *e, size_t l)
{
	(void)d;
	(void)e;
	(void)l;
	return -38;
}
__attribute__((weak)) int hvt_core_dir_fd(void)
{
	return -1;
}
__attribute__((weak)) int hvt_core_dump(struct hvt *h, const struct cr_abi_hvt_regs *r)
{
	(void)h;
	(void)r;
	return -38;
}
__attribute__((weak)) int hvt_gdb_listen_fd(void)
{
	return -1;
}
__attribute__((weak)) void hvt_gdb_fault_regs(const struct cr_abi_hvt_regs *regs)
{
	(void)regs;
}
