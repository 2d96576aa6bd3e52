/* SPDX-License-Identifier: ISC */
/*
 * cirage/dns.h - an I/O-free DNS library (lib/dns): the message codec
 * (RFC 1035, name compression, EDNS(0) RFC 6891, unknown types RFC 3597),
 * TCP framing (RFC 1035 4.2.2, RFC 7766), domain names in wire and
 * presentation form, and master (zone) files parsed into a zone the
 * authoritative server answers from (docs/dns.md).
 *
 * Nothing here sends, receives, reads a clock or allocates, except
 * cr_dns_zone_parse (one allocation, freed by cr_dns_zone_free). Every
 * buffer is the caller's; what a call returns points only into memory the
 * caller gave it (an arena, the writer's buffer, the zone). Not
 * thread-safe per object; different objects are independent.
 *
 * Errors are 0 (or a non-negative count) or a negative errno:
 *   -EBADMSG   malformed input (a message, RDATA, a zone file)
 *   -EMSGSIZE  something does not fit the message size limit (the writer:
 *              truncation), or a name longer than 255 octets
 *   -ENOSPC    the caller's arena or output buffer is too small
 *   -EINVAL    a bad argument (NULL, an unknown section, a bad name text)
 * Calls taking `const char **why` set *why (when why is not NULL) to a
 * short static English reason on failure ("compression loop", ...).
 *
 * Domain names are kept in uncompressed wire form: a sequence of labels,
 * each a length octet (1-63) and that many octets, ended by the root label
 * (a zero octet); at most CR_DNS_NAME_MAX (255) octets in all. A pointer
 * `const uint8_t *name` always means such a name; it is self-delimiting.
 * Case is kept as written; comparisons fold ASCII A-Z only (RFC 4343).
 */
#ifndef CIRAGE_DNS_H
#define CIRAGE_DNS_H

#include <cirage/types.h>

/* ---- limits ---------------------------------------------------------------- */

#define CR_DNS_NAME_MAX 255 /* octets of a name in wire form, root label included */
#define CR_DNS_LABEL_MAX 63 /* octets of one label */
/* Longest presentation form cr_dns_name_to_text writes, NUL included (every
 * octet as \DDD, plus the dots). */
#define CR_DNS_NAME_STRLEN 1024
#define CR_DNS_HEADER_SIZE 12
#define CR_DNS_UDP_MIN 512 /* largest UDP reply without EDNS (RFC 1035 4.2.1) */
#define CR_DNS_MSG_MAX 65535 /* largest message (TCP's length prefix) */
/* Bytes an OPT record with opt_len bytes of options takes in a message. */
#define CR_DNS_OPT_SIZE(opt_len) (11 + (size_t)(opt_len))

/* ---- numbers --------------------------------------------------------------- */

enum cr_dns_type {
	CR_DNS_T_A = 1,
	CR_DNS_T_NS = 2,
	CR_DNS_T_CNAME = 5,
	CR_DNS_T_SOA = 6,
	CR_DNS_T_PTR = 12,
	CR_DNS_T_MX = 15,
	CR_DNS_T_TXT = 16,
	CR_DNS_T_AAAA = 28,
	CR_DNS_T_SRV = 33,
	CR_DNS_T_OPT = 41,
	CR_DNS_T_IXFR = 251,
	CR_DNS_T_AXFR = 252,
	CR_DNS_T_ANY = 255,
	CR_DNS_T_CAA = 257,
};

enum cr_dns_class {
	CR_DNS_C_IN = 1,
	CR_DNS_C_CH = 3,
	CR_DNS_C_NONE = 254,
	CR_DNS_C_ANY = 255,
};

enum cr_dns_rcode {
	CR_DNS_R_NOERROR = 0,
	CR_DNS_R_FORMERR = 1,
	CR_DNS_R_SERVFAIL = 2,
	CR_DNS_R_NXDOMAIN = 3,
	CR_DNS_R_NOTIMP = 4,
	CR_DNS_R_REFUSED = 5,
	CR_DNS_R_NOTAUTH = 9, /* not authoritative for the zone (RFC 2136, RFC 5936 AXFR) */
	CR_DNS_R_BADVERS = 16, /* needs EDNS: the high 8 bits travel in the OPT record */
};

/* The header's second 16-bit word (RFC 1035 4.1.1): flags, opcode, rcode. */
#define CR_DNS_F_QR 0x8000u
#define CR_DNS_F_OPCODE(f) (((f) >> 11) & 0xf)
#define CR_DNS_F_AA 0x0400u
#define CR_DNS_F_TC 0x0200u
#define CR_DNS_F_RD 0x0100u
#define CR_DNS_F_RA 0x0080u
#define CR_DNS_F_AD 0x0020u
#define CR_DNS_F_CD 0x0010u
#define CR_DNS_F_RCODE(f) ((f)&0xf)
/* The DO bit in the OPT record's flags (RFC 3225). */
#define CR_DNS_EDNS_DO 0x8000u

/* ---- records --------------------------------------------------------------- */

/* EDNS(0) (RFC 6891): what an OPT record carries. On the wire, udp_size is
 * the CLASS field and ext_rcode, version and flags the TTL field. */
struct cr_dns_edns {
	uint16_t udp_size; /* the sender's UDP payload size */
	uint8_t ext_rcode; /* the upper 8 bits of the 12-bit rcode */
	uint8_t version; /* 0 */
	uint16_t flags; /* CR_DNS_EDNS_DO and 15 reserved bits (kept) */
	uint16_t options_len; /* bytes at options */
	const uint8_t *options; /* the options as on the wire: code, length, data... (opaque) */
};

/* One resource record, decoded. Pointers point into the arena of the
 * decode (cr_dns_decode), into the RDATA given (cr_dns_decode_rdata) or
 * into the zone; to write a record, the caller fills one and the writer
 * copies what it points at. The member of rd in use depends on type:
 *   A, AAAA                  rd.a, rd.aaaa
 *   NS, CNAME, PTR           rd.name (the target)
 *   SOA, MX, TXT, SRV, CAA   rd.soa, rd.mx, rd.txt, rd.srv, rd.caa
 *   OPT                      rd.opt (class and ttl hold the same, raw)
 *   anything else            rd.raw: the RDATA, opaque (RFC 3597)
 */
struct cr_dns_rr {
	const uint8_t *name; /* the owner */
	uint16_t type; /* enum cr_dns_type or any other */
	uint16_t rclass; /* enum cr_dns_class (OPT: the UDP size) */
	uint32_t ttl; /* as on the wire (RFC 2181 8: readers treat > 2^31-1 as 0) */
	union {
		uint8_t a[4];
		uint8_t aaaa[16];
		const uint8_t *name;
		struct {
			const uint8_t *mname, *rname;
			uint32_t serial, refresh, retry, expire, minimum;
		} soa;
		struct {
			uint16_t preference;
			const uint8_t *exchange;
		} mx;
		struct {
			/* One or more character-strings as on the wire: a length
			 * octet and that many octets each, len bytes in all. */
			const uint8_t *data;
			uint16_t len;
			uint16_t count; /* how many strings (cr_dns_decode sets it; the writer
			                   ignores it) */
		} txt;
		struct {
			uint16_t priority, weight, port;
			const uint8_t *target; /* never compressed when written (RFC 2782) */
		} srv;
		struct {
			uint8_t flags; /* 128: issuer critical */
			uint8_t tag_len; /* 1-15 */
			uint16_t value_len;
			const uint8_t
			    *tag; /* "issue", "issuewild", "iodef", ... (not NUL-terminated) */
			const uint8_t *value;
		} caa;
		struct cr_dns_edns opt;
		struct {
			const uint8_t *data;
			uint16_t len;
		} raw;
	} rd;
};

struct cr_dns_question {
	const uint8_t *name;
	uint16_t type;
	uint16_t qclass;
};

/* A decoded message. */
struct cr_dns_msg {
	uint16_t id;
	uint16_t flags; /* CR_DNS_F_* and the 4-bit rcode */
	uint16_t qdcount, ancount, nscount, arcount;
	struct cr_dns_question *qd; /* qdcount questions */
	struct cr_dns_rr *an, *ns, *ar; /* the answer, authority, additional sections */
	/* The OPT record of the additional section (there is at most one), or
	 * NULL: the message has no EDNS. */
	const struct cr_dns_rr *opt;
	/* The 12-bit rcode: (opt ext_rcode << 4) | the header's 4 bits. */
	uint16_t rcode;
	size_t arena_used; /* bytes of the arena the decode used */
};

/* ---- decoding -------------------------------------------------------------- */

/* Arena bytes cr_dns_decode needs at most for any message of len bytes:
 * an arena this large never fails with -ENOSPC (a bound, not a typical
 * figure: compression can make a 2-byte pointer a 255-byte name). */
#define CR_DNS_ARENA_BOUND(len) ((size_t)(len)*64 + 256)

/* Decode the message msg[0..len) into *m. Names are decompressed and
 * copied, with the records, questions and RDATA, into arena[0..arena_size)
 * (any alignment): afterwards *m points only into the arena, and msg may be
 * reused. The arena must outlive *m. Checks (all -EBADMSG): a header of 12
 * bytes; counts that could not fit in len; compression pointers that are
 * not strictly backwards (before the name or the part that jumped to
 * them), that point into the header or past the end; labels over 63 or
 * with the reserved 0x40/0x80 types; names over 255 octets; a record or
 * RDATA running past the end or with bytes left over; RDATA that does not
 * match its type (A of 3 bytes, a TXT with a string running past RDLENGTH,
 * a CAA with an empty tag, ...); an OPT record anywhere but the additional
 * section, twice, or with a non-root owner or malformed options; bytes
 * after the last record. Names in the RDATA of NS, CNAME, SOA, MX, PTR and
 * SRV are decompressed; other RDATA is never looked into for names. Returns
 * 0, -EBADMSG, -ENOSPC (arena too small: see CR_DNS_ARENA_BOUND) or -EINVAL
 * (NULL arguments). */
int cr_dns_decode(const void *msg, size_t len, void *arena, size_t arena_size, struct cr_dns_msg *m,
                  const char **why);

/* Decode the RDATA of one record of this type from rdata[0..len), in
 * uncompressed wire form (as in a zone file's "\# len hex", RFC 3597): no
 * compression pointer is accepted. Fills rr->rd; its pointers point into
 * rdata. rr->name, rclass and ttl are not touched; rr->type is set to
 * type. Returns 0 or -EBADMSG. */
int cr_dns_decode_rdata(uint16_t type, const void *rdata, size_t len, struct cr_dns_rr *rr,
                        const char **why);

/* ---- encoding -------------------------------------------------------------- */

enum cr_dns_section {
	CR_DNS_S_QUESTION = 0,
	CR_DNS_S_ANSWER = 1,
	CR_DNS_S_AUTHORITY = 2,
	CR_DNS_S_ADDITIONAL = 3,
};

/* Names the writer remembers as targets for compression pointers. */
#define CR_DNS_COMP_MAX 96

/* A message being written into a caller's buffer. Private fields: use the
 * functions. About 340 bytes. */
struct cr_dns_writer {
	uint8_t *buf;
	size_t limit; /* hard size limit (<= the buffer, <= 65535) */
	size_t len; /* bytes written */
	size_t reserve; /* bytes held back for a later OPT record */
	uint16_t count[4];
	uint8_t section; /* the section being written */
	uint8_t truncated; /* a write failed with -EMSGSIZE */
	uint8_t has_opt; /* an OPT record was written */
	uint16_t ncomp;
	uint16_t comp_off[CR_DNS_COMP_MAX]; /* where a (suffix of a) name starts */
	uint8_t comp_len[CR_DNS_COMP_MAX]; /* its uncompressed wire length */
};

/* Start a message in buf[0..size) with this id and flags word (CR_DNS_F_*
 * and rcode): writes the 12-byte header. size is the hard limit: no write
 * goes past it (pass min(buffer, client's EDNS UDP size or 512) for UDP,
 * at most 65535 is used). buf must outlive the writer. Returns 0, -ENOSPC
 * (size < 12) or -EINVAL. */
int cr_dns_writer_init(struct cr_dns_writer *w, void *buf, size_t size, uint16_t id,
                       uint16_t flags);

/* Replace the flags word (e.g. to set CR_DNS_F_TC after truncation). */
void cr_dns_writer_set_flags(struct cr_dns_writer *w, uint16_t flags);

/* Hold back n bytes from the limit, for an OPT record written last
 * (CR_DNS_OPT_SIZE(options)): questions and records stop fitting earlier,
 * the OPT record is written into the reserve. Returns 0 or -EMSGSIZE (the
 * message is already too long to keep n bytes). */
int cr_dns_writer_reserve(struct cr_dns_writer *w, size_t n);

/* Append a question. Sections are written in order (questions, answers,
 * authority, additional); going back is -EINVAL. name is compressed
 * against the names already written. Returns 0, -EMSGSIZE (does not fit:
 * nothing was written and the writer is as before the call), -EINVAL. */
int cr_dns_write_question(struct cr_dns_writer *w, const uint8_t *name, uint16_t type,
                          uint16_t qclass);

/* Append a record to a section (CR_DNS_S_ANSWER..ADDITIONAL, in order). The
 * owner and the names in NS, CNAME, SOA, MX and PTR RDATA are compressed
 * (RFC 1035 4.1.4); SRV's target and other RDATA are written as they are.
 * An OPT record (type CR_DNS_T_OPT) is written from rr->rd.opt, with a
 * root owner, in the additional section only; cr_dns_write_opt is simpler.
 * Returns 0; -EMSGSIZE when the record does not fit the limit (truncation:
 * nothing of it was written, the writer is as before; the caller stops and
 * sets TC when the record was needed); -EINVAL for a record that cannot be
 * written (a TXT with a bad string, a CAA tag of 0 or > 255 bytes,
 * a second OPT, OPT outside the additional section...). */
int cr_dns_write_rr(struct cr_dns_writer *w, enum cr_dns_section s, const struct cr_dns_rr *rr);

/* Append the OPT record (EDNS(0)) to the additional section, using the
 * reserve first. Returns as cr_dns_write_rr. */
int cr_dns_write_opt(struct cr_dns_writer *w, const struct cr_dns_edns *e);

/* Write the section counts into the header. Returns the message length
 * (the writer may go on; finish again afterwards). */
size_t cr_dns_writer_finish(struct cr_dns_writer *w);

/* ---- TCP framing (RFC 1035 4.2.2, RFC 7766 8) ------------------------------- */

/* Given the first have bytes received on a stream, *msg and *len (when
 * not NULL) are set to the first complete message and its length.
 * Returns the bytes it takes, prefix included (> 0: consume that many),
 * 0 when more bytes are needed (cr_dns_tcp_need tells how many), or
 * -EBADMSG when the prefix announces less than a 12-byte header. */
cr_ssize_t cr_dns_tcp_frame(const void *buf, size_t have, const uint8_t **msg, size_t *len);

/* How many more bytes complete the first message of buf[0..have): 0 when
 * it is complete (or the prefix is bad: cr_dns_tcp_frame says -EBADMSG). */
size_t cr_dns_tcp_need(const void *buf, size_t have);

/* Write the 2-byte length prefix of a message of len bytes. Returns 0 or
 * -EMSGSIZE (len > 65535). */
int cr_dns_tcp_prefix(uint8_t out[2], size_t len);

/* ---- names ----------------------------------------------------------------- */

/* Length in octets of a (valid) wire name, root label included. */
size_t cr_dns_name_len(const uint8_t *name);

/* Check that name[0..max) starts with a valid uncompressed wire name.
 * Returns its length or -EBADMSG. */
int cr_dns_name_check(const uint8_t *name, size_t max);

/* Number of labels, the root not counted ("www.example.com." is 3). */
int cr_dns_name_labels(const uint8_t *name);

/* Presentation form text[0..len) (e.g. "www.example.com.", with \. for a
 * dot in a label, \\ and \DDD decimal escapes) into out (CR_DNS_NAME_MAX
 * bytes). A name without the final dot is relative: origin (a wire name)
 * is appended; when origin is NULL the name is taken as absolute. "." is
 * the root. "@" is not special here (the zone parser handles it). Returns
 * the wire length, -EINVAL (empty, an empty label, a label over 63, a bad
 * escape) or -EMSGSIZE (over 255 octets). */
int cr_dns_name_from_text(uint8_t out[CR_DNS_NAME_MAX], const char *text, size_t len,
                          const uint8_t *origin);

/* Presentation form of a wire name, absolute (ending with '.', "." for the
 * root), NUL-terminated, into out[0..size): '.', '\\', '"', '(', ')', ';',
 * '@', '$' in labels escaped with a backslash, other octets outside
 * 0x21-0x7e as \DDD. CR_DNS_NAME_STRLEN is always enough. Returns the
 * length (NUL not counted) or -ENOSPC. */
int cr_dns_name_to_text(const uint8_t *name, char *out, size_t size);

/* True when a and b are the same name, ASCII case folded. */
bool cr_dns_name_equal(const uint8_t *a, const uint8_t *b);

/* Canonical order of RFC 4034 6.1 (labels compared from the root, each as
 * lowercased octets): <0, 0, >0. */
int cr_dns_name_compare(const uint8_t *a, const uint8_t *b);

/* True when name is parent or below it (case folded). */
bool cr_dns_name_is_subdomain(const uint8_t *name, const uint8_t *parent);

/* Lowercase the ASCII letters of a wire name in place (canonical form). */
void cr_dns_name_lower(uint8_t *name);

/* Copy a wire name to out (CR_DNS_NAME_MAX bytes). Returns its length. */
size_t cr_dns_name_copy(uint8_t *out, const uint8_t *name);

/* Type mnemonic ("A", "CAA", ...) or NULL for a type without one here. */
const char *cr_dns_type_name(uint16_t type);

/* ---- zones ----------------------------------------------------------------- */

/* A zone parsed from a master file: its records in canonical order (owner
 * by cr_dns_name_compare, then type, then RDATA), duplicates dropped. The
 * zone, the records and every name and RDATA they point at are one
 * allocation of cr_dns_zone_parse:
 *   sizeof(struct cr_dns_zone) + count * sizeof(struct cr_dns_rr)
 *   + the origin + every owner name (one copy per run of records with
 *   the same owner) + the RDATA names and bytes, + alignment;
 * cr_dns_zone_parse's max_mem bounds it. Read-only after the parse: any
 * number of fibers may look up in it. */
struct cr_dns_zone {
	const uint8_t *origin; /* the apex */
	const struct cr_dns_rr *soa; /* its one SOA record */
	const struct cr_dns_rr *rr; /* count records, canonical order */
	size_t count;
	size_t mem_size; /* bytes of the allocation */
};

/* Where a zone file is wrong. */
struct cr_dns_zone_error {
	unsigned line; /* 1-based; 0: not about one line (no SOA, too big) */
	const char *reason; /* static text */
};

/* Parse a master file (RFC 1035 5) text[0..len): $ORIGIN, $TTL (RFC 2308,
 * with s/m/h/d/w units), @, relative and absolute names, an omitted owner
 * (the previous one), omitted TTL (the $TTL, else the last TTL given, else
 * for the SOA its minimum) and class (IN, the only class accepted),
 * parentheses across lines, ';' comments, quoted strings with \X and \DDD
 * escapes, the types A, AAAA, NS, CNAME, SOA, MX, TXT, SRV, PTR, CAA (RFC
 * 8659: flags tag value) in their presentation formats and any type as
 * TYPEnnn or with "\# len hex" RDATA (RFC 3597). $INCLUDE is refused.
 * origin (text such as "example.com", may be NULL) is the zone's apex and
 * the first $ORIGIN; without it the owner of the SOA, which must then come
 * before any other record, is the apex. Checks: every record at or below
 * the apex, exactly one SOA, at the apex, no
 * other data beside a CNAME, no OPT. max_mem bounds the allocation (0: no
 * bound). On success *out is the zone (free it with cr_dns_zone_free).
 * Returns 0, -EBADMSG (err says the line and why), -EFBIG (max_mem),
 * -ENOMEM or -EINVAL. */
int cr_dns_zone_parse(const char *text, size_t len, const char *origin, size_t max_mem,
                      struct cr_dns_zone **out, struct cr_dns_zone_error *err);

/* Free a zone (NULL is fine). */
void cr_dns_zone_free(struct cr_dns_zone *z);

/* The records of exactly name and type (type CR_DNS_T_ANY: every type of
 * the name). *first is set to the first (NULL when none); they follow
 * each other in z->rr. Returns how many. Case-insensitive. */
size_t cr_dns_zone_find(const struct cr_dns_zone *z, const uint8_t *name, uint16_t type,
                        const struct cr_dns_rr **first);

/* True when name exists in the zone: it owns records, or is an empty
 * non-terminal (a name below it owns records; RFC 4592 2.2.2). A name
 * that does not exist gets NXDOMAIN, one that does but lacks the type
 * NODATA. */
bool cr_dns_zone_name_exists(const struct cr_dns_zone *z, const uint8_t *name);

/* The closest encloser of name (RFC 4592 3.3.1): the longest ancestor of
 * name (or name itself) that exists, written to out (CR_DNS_NAME_MAX).
 * Returns its length, or -ENOENT when name is not at or below the apex. */
int cr_dns_zone_closest_encloser(const struct cr_dns_zone *z, const uint8_t *name, uint8_t *out);

/* The zone cut above or at name, below the apex: the NS records of the
 * highest name between the apex (excluded) and name (included) that owns
 * NS records. Returns how many (0: name is not delegated), *first as in
 * cr_dns_zone_find. */
size_t cr_dns_zone_delegation(const struct cr_dns_zone *z, const uint8_t *name,
                              const struct cr_dns_rr **first);

/* What the zone says about name and type: the kinds of answer. */
enum cr_dns_zone_result {
	CR_DNS_ZONE_NOTAUTH = 0, /* name is not in the zone: REFUSED */
	CR_DNS_ZONE_ANSWER, /* records of the type (maybe synthesised from a wildcard) */
	CR_DNS_ZONE_CNAME, /* name owns a CNAME (type is not CNAME): follow it */
	CR_DNS_ZONE_DELEGATION, /* below a zone cut: a referral with these NS records */
	CR_DNS_ZONE_NODATA, /* the name exists but not the type: SOA in authority */
	CR_DNS_ZONE_NXDOMAIN, /* no such name: SOA in authority */
};

struct cr_dns_zone_answer {
	const struct cr_dns_rr *rr; /* ANSWER, CNAME: the records; DELEGATION: the NS */
	size_t count;
	/* Wildcard synthesis (RFC 4592): the records are owned by this
	 * "*.<closest encloser>" name; the answer's owner must be the query
	 * name. NULL when the name matched exactly. */
	const uint8_t *wildcard;
};

/* Classify a query (RFC 1034 4.3.2 step 3, with RFC 4592 wildcards): a
 * zone cut at or above name first (a referral, also for the NS records at
 * the cut itself; DS is not special-cased yet), then the exact name (its
 * records of the type, else its CNAME, else NODATA), then, when name does
 * not exist, the wildcard "*.<closest encloser>" (ANSWER or CNAME with
 * a->wildcard set, or NODATA), else NXDOMAIN. Returns the kind and fills
 * *a (rr NULL and count 0 for NODATA, NXDOMAIN, NOTAUTH). */
enum cr_dns_zone_result cr_dns_zone_lookup(const struct cr_dns_zone *z, const uint8_t *name,
                                           uint16_t type, struct cr_dns_zone_answer *a);

/* ---- serving: an authoritative server's answers (lib/dns/server.c) --------- */

/* What an authoritative server serves. Read-only while queries are
 * answered: any number of fibers may answer from one config. */
struct cr_dns_server_config {
	/* The zones served (parsed by cr_dns_zone_parse; the caller owns them
	 * and keeps them alive). A query goes to the zone with the longest
	 * apex the query name is at or below; none: REFUSED. */
	const struct cr_dns_zone *const *zones;
	size_t zone_count;
	/* Peers allowed to transfer a zone (AXFR, over TCP only); the others
	 * get REFUSED. None: AXFR refused to everyone. */
	const cr_ipaddr *xfr_allow;
	size_t xfr_allow_count;
	/* Largest UDP reply sent to an EDNS client (the smaller of this and
	 * the client's size; at least 512). 0: 1232 (the DNS flag day 2020
	 * figure, no IP fragmentation on common paths). */
	uint16_t udp_max;
};

enum cr_dns_transport {
	CR_DNS_UDP = 0,
	CR_DNS_TCP = 1,
};

/* The state of one zone transfer (AXFR) in progress on a TCP connection:
 * a cursor over the zone's records. Private fields: use the functions.
 * Zeroed (or left as cr_dns_server_answer sets it) it is idle. About 290
 * bytes; it points into the zone, which must outlive the transfer. */
struct cr_dns_xfr {
	const struct cr_dns_zone *zone; /* NULL: no transfer in progress */
	size_t next; /* next step: 0 first SOA, 1..count the records, count + 1 last SOA */
	uint16_t id; /* the query's ID, repeated in every message */
	uint16_t flags; /* the header's flags word: QR, AA, RD as in the query */
	uint16_t qtype; /* AXFR or IXFR, for the question */
	uint16_t udp_max; /* advertised in the OPT record */
	uint16_t edns_flags; /* DO as in the query */
	bool edns; /* the query had an OPT record: every message has one */
	bool first_sent; /* the first message (with the question) is out */
	uint8_t qname[CR_DNS_NAME_MAX]; /* the question, in the first message only */
};

/* Answer the query query[0..len) that peer sent over transport, into
 * out[0..size) (at least 512 bytes; 65535 lets every TCP reply fit). out
 * may be the query's own buffer (the query is read whole first); other
 * overlaps are not allowed. Returns the reply's length (> 0: send it), 0
 * when no reply must be sent (QR set: the message is a reply itself; or
 * shorter than a header: RFC 1035 and RFC 5452 drop those), or -EINVAL
 * (NULL cfg, query or out; size < 512). peer may be NULL (it is then not
 * allowed to transfer). No allocation; under 5 KB of stack.
 *
 * The reply repeats the ID, the opcode, RD and CD, and the question as it
 * was asked; RA is clear. In order:
 *   - opcode other than QUERY: NOTIMP (the question echoed when it parses);
 *   - qdcount != 1, a question or a record that does not parse, bytes
 *     after the last record, an OPT record twice, outside the additional
 *     section or not owned by the root: FORMERR (the question echoed when
 *     it parsed). A query carrying records other than the OPT (a TSIG...)
 *     must also pass cr_dns_decode in a 2 KB arena;
 *   - EDNS version > 0: BADVERS (RFC 6891 6.1.3);
 *   - class other than IN (CH version.bind included): REFUSED;
 *   - AXFR or IXFR: see below;
 *   - a name in no served zone: REFUSED.
 * Then it follows RFC 1034 4.3.2 in the zone with the longest apex above
 * the name: AA set (clear on referrals); NXDOMAIN and NODATA carry the
 * zone's SOA in the authority section, its TTL the smaller of the SOA's TTL
 * and MINIMUM (RFC 2308); RFC 4592 wildcards (the owner becomes the query
 * name); CNAME chains followed across the served zones (at most 16 links;
 * a loop or a target outside them ends the chain: the answer is what was
 * found, the rcode that of the last name); below a zone cut a referral
 * (the cut's NS records in authority, their A/AAAA glue in additional, AA
 * clear); a DS query at a cut is answered from the parent side (the
 * parent's DS records or NODATA), also when the child zone is served too;
 * additional A/AAAA for NS, MX and SRV targets in the zone. Minimal
 * responses: no NS records in positive answers. ANY: every RRset of the
 * name over TCP, only the first (in type order) over UDP (RFC 8482 4.1).
 * EDNS(0): an OPT record (our UDP size, DO copied, no options) when the
 * query had one; its options are ignored.
 *
 * Over UDP a reply fits the smaller of size, the client's EDNS size (512
 * without EDNS, at least 512 with) and cfg->udp_max: whole RRsets only,
 * TC set when an answer RRset (or a negative answer's SOA, a referral's
 * NS records or their in-domain glue) did not fit; other additional data
 * is left out without TC.
 *
 * AXFR (over TCP, from an allowed peer, for exactly a zone's apex) starts
 * a transfer: the first message is returned and *xfr is set; send it,
 * then call cr_dns_server_xfr_next until it returns 0 (when the whole
 * zone fit in the first message, xfr is already idle). Over UDP, with xfr
 * NULL, or from a peer not allowed (IPv4 peers also match as
 * ::ffff:a.b.c.d): REFUSED; for a name that is no served zone's apex:
 * NOTAUTH (9). IXFR is answered the same way, with a full transfer (RFC
 * 1995 4 allows it; only over TCP). *xfr is not touched by other queries,
 * so a transfer in progress survives pipelined queries. */
cr_ssize_t cr_dns_server_answer(const struct cr_dns_server_config *cfg, const void *query,
                                size_t len, enum cr_dns_transport transport, const cr_ipaddr *peer,
                                void *out, size_t size, struct cr_dns_xfr *xfr);

/* The next message of the transfer *xfr into out[0..size) (at least 512;
 * 65535 packs the most records per message): the records in canonical
 * order, the SOA first and last (RFC 5936), as many whole records as fit,
 * each message with the query's ID and AA, the question only in the first.
 * A record too big for any message ends the transfer with SERVFAIL.
 * Returns its length, 0 when the transfer is complete (xfr is idle), or
 * -EINVAL (NULL xfr or out, size < 512). cfg is not used (may be NULL). */
cr_ssize_t cr_dns_server_xfr_next(const struct cr_dns_server_config *cfg, struct cr_dns_xfr *xfr,
                                  void *out, size_t size);

#endif
