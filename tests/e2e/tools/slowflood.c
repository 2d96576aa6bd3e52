/* SPDX-License-Identifier: ISC */
/*
 * slowflood - open many slow and idle HTTP connections to a server, for
 * tests of its defences against clients that hold connections without
 * completing requests or without reading.
 *
 * Usage: slowflood IPV4 PORT COUNT SECONDS [RATE [BIGPATH]]
 *
 * Opens COUNT connections in all (at most 100,000) to IPV4:PORT, at most
 * RATE new ones per second (default 1000), and keeps each open until the
 * server closes it or SECONDS have passed (at most 600); then closes all.
 * The connections take turns among three kinds:
 *  - half: sends half of a request head ("GET / HTTP/1.1\r\nHost: f\r\nX-")
 *    and nothing more;
 *  - idle: sends a whole request for "/", reads the answer and then stays
 *    silent on the kept-alive connection;
 *  - zerowin: a receive buffer as small as the kernel allows, a request for
 *    BIGPATH (default /big.bin), and never a read: the window closes.
 * Prints one line: "slowflood: opened N (half H, idle I, zerowin Z),
 * connect failures F, closed by the server C, answered 503 R, open at the
 * end O, peak open P, in T s". Exits 0 (2 on bad arguments). Use only
 * towards loopback or a network namespace the test created.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { HALF, IDLE, ZEROWIN };
enum state { CONNECTING, SENT, DONE };

struct c {
	int fd;
	uint8_t kind, state;
	bool saw_503, got_head;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: slowflood IPV4 PORT COUNT SECONDS [RATE [BIGPATH]]\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to;
	long count, seconds, rate = 1000;
	const char *big = "/big.bin";
	char req_big[512], buf[16384];
	static const char half[] = "GET / HTTP/1.1\r\nHost: f\r\nX-";
	static const char idle[] = "GET / HTTP/1.1\r\nHost: f\r\n\r\n";
	struct c *cs;
	struct rlimit rl;
	long opened = 0, failed = 0, closed = 0, refused = 0, open_now = 0, peak = 0;
	long by_kind[3] = {0, 0, 0};
	double t0, end;
	int ep;

	if (argc < 5 || argc > 7)
		usage();
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		usage();
	to.sin_port = htons((uint16_t)num(argv[2], 1, 65535));
	count = num(argv[3], 1, 100000);
	seconds = num(argv[4], 1, 600);
	if (argc > 5)
		rate = num(argv[5], 1, 1000000);
	if (argc > 6) {
		big = argv[6];
		if (big[0] != '/' || strlen(big) > 256 || strpbrk(big, " \r\n"))
			usage();
	}
	snprintf(req_big, sizeof(req_big), "GET %s HTTP/1.1\r\nHost: f\r\n\r\n", big);
	/* one descriptor per connection: raise the limit as far as allowed */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)count + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)count + 64 ? rl.rlim_max : (rlim_t)count + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cs = calloc((size_t)count, sizeof(*cs));
	ep = epoll_create1(0);
	if (!cs || ep < 0) {
		perror("slowflood");
		return 1;
	}
	t0 = now();
	end = t0 + (double)seconds;
	while (now() < end) {
		double t = now();
		long due = (long)((t - t0) * (double)rate) + 1;
		struct epoll_event evs[256];
		int n;

		/* open what the rate allows */
		while (opened < count && opened < due) {
			struct c *c = &cs[opened];
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), small = 1024;
			struct epoll_event ev;
			c->kind = (uint8_t)(opened % 3);
			c->fd = -1;
			c->state = DONE;
			opened++;
			if (fd < 0) {
				failed++;
				continue;
			}
			if (c->kind == ZEROWIN)
				setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
			if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0 &&
			    errno != EINPROGRESS) {
				close(fd);
				failed++;
				continue;
			}
			c->fd = fd;
			c->state = CONNECTING;
			by_kind[c->kind]++;
			ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
			ev.data.ptr = c;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			if (++open_now > peak)
				peak = open_now;
		}
		n = epoll_wait(ep, evs, 256, 10);
		for (int i = 0; i < n; i++) {
			struct c *c = evs[i].data.ptr;
			bool gone = false;
			if (c->fd < 0)
				continue;
			if (c->state == CONNECTING && (evs[i].events & (EPOLLOUT | EPOLLERR))) {
				int err = 0;
				socklen_t el = sizeof(err);
				const char *r = c->kind == HALF   ? half
				                : c->kind == IDLE ? idle
				                                  : req_big;
				struct epoll_event ev;
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err || send(c->fd, r, strlen(r), MSG_NOSIGNAL) < 0) {
					failed++;
					close(c->fd);
					c->fd = -1;
					open_now--;
					continue;
				}
				c->state = SENT;
				/* the zero-window reader never reads: only errors matter */
				ev.events = c->kind == ZEROWIN ? EPOLLRDHUP : EPOLLIN | EPOLLRDHUP;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			if (c->kind == ZEROWIN) {
				/* the server reset or closed it: see whether it said 503 */
				if (evs[i].events & (EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
					ssize_t k = recv(c->fd, buf, 16, MSG_PEEK);
					if (k >= 12 && !memcmp(buf, "HTTP/1.1 503", 12))
						c->saw_503 = true;
					gone = true;
				}
			} else if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
				for (;;) {
					ssize_t k = recv(c->fd, buf, sizeof(buf), 0);
					if (k > 0) {
						if (!c->got_head && k >= 12 &&
						    !memcmp(buf, "HTTP/1.1 503", 12))
							c->saw_503 = true;
						c->got_head = true;
						continue;
					}
					if (k == 0 || (errno != EAGAIN && errno != EINTR))
						gone = true;
					if (k < 0 && errno == EINTR)
						continue;
					break;
				}
			}
			if (gone) {
				closed++;
				if (c->saw_503)
					refused++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
				open_now--;
			}
		}
		if (opened == count && open_now == 0)
			break;
	}
	printf("slowflood: opened %ld (half %ld, idle %ld, zerowin %ld), connect failures %ld, "
	       "closed by the server %ld, answered 503 %ld, open at the end %ld, peak open %ld, "
	       "in %.1f s\n",
	       opened, by_kind[HALF], by_kind[IDLE], by_kind[ZEROWIN], failed, closed, refused,
	       open_now, peak, now() - t0);
	fflush(stdout);
	for (long i = 0; i < opened; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	free(cs);
	close(ep);
	return 0;
}
