# shellcheck shell=bash
# tests/e2e/lib/http.sh - checks of examples/static-website with real
# clients (curl, socat, wrk), shared by tests/e2e/unix_http.sh (host sockets
# on loopback) and tests/e2e/spt_http.sh (our own stack on spt over a tap in
# a namespace). Sourced after tests/lib.sh; the caller sets
#   RUN   array: prefix for client commands (e.g. ip netns exec NS)
#   HOST  the server's address, PORT its port, SITE the htdocs folder served
# Each check prints one PASS/FAIL line named with the prefix $P. Every
# client call is bounded in time; the load is bounded in connections and
# seconds.
P=${P:-}
URL=http://$HOST:$PORT
cl() { "${RUN[@]}" "$@"; }
# raw REQUEST: send bytes (printf format) on one connection, print the reply
raw() { printf "$1" | cl timeout 10 socat -t 3 - "TCP:$HOST:$PORT" 2>/dev/null; }
status_of() { head -1 | tr -d '\r' | awk '{print $2}'; }

# GET / is index.html, byte for byte
cl timeout 10 curl -s -o "$TEST_TMP/index.got" -w '%{http_code} %{content_type}' "$URL/" >"$TEST_TMP/r" 2>&1
if [ "$(cat "$TEST_TMP/r")" = "200 text/html; charset=utf-8" ] && cmp -s "$TEST_TMP/index.got" "$SITE/index.html"; then
	pass ${P}http_get_index
else fail ${P}http_get_index "$(cat "$TEST_TMP/r")"; fi
cl timeout 10 curl -s -o "$TEST_TMP/css.got" "$URL/css/site.css"
if cmp -s "$TEST_TMP/css.got" "$SITE/css/site.css"; then pass ${P}http_get_nested_file
else fail ${P}http_get_nested_file "$(head -c 200 "$TEST_TMP/css.got")"; fi

# keep-alive: two URLs in one curl, one connection
out=$(cl timeout 10 curl -sv -o /dev/null -o /dev/null "$URL/" "$URL/css/site.css" 2>&1)
if grep -qi 're-using existing connection' <<<"$out" && [ "$(grep -c '^< HTTP/1.1 200' <<<"$out")" -eq 2 ]; then
	pass ${P}http_keep_alive
else fail ${P}http_keep_alive "$(grep -E '^[<*] ' <<<"$out" | head -12 | tr '\n' ' ')"; fi

# HEAD: the headers of GET, no body
out=$(raw 'HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
len=$(stat -c %s "$SITE/index.html")
if [ "$(status_of <<<"$out")" = 200 ] && grep -qi "^Content-Length: $len" <<<"$out" &&
	[ -z "$(sed -n '/^\r$/,$p' <<<"$out" | tail -n +2)" ]; then
	pass ${P}http_head_no_body
else fail ${P}http_head_no_body "$(head -c 400 <<<"$out")"; fi

# a single byte range, and one that cannot be satisfied
out=$(cl timeout 10 curl -s -r 5-14 -w '\n%{http_code}' "$URL/index.html")
if [ "$(tail -1 <<<"$out")" = 206 ] && [ "$(head -c 10 <<<"$out")" = "$(tail -c +6 "$SITE/index.html" | head -c 10)" ]; then
	pass ${P}http_range_206
else fail ${P}http_range_206 "$out"; fi
code=$(cl timeout 10 curl -s -o /dev/null -w '%{http_code}' -r 999999- "$URL/index.html")
if [ "$code" = 416 ]; then pass ${P}http_range_unsatisfiable_416; else fail ${P}http_range_unsatisfiable_416 "got $code"; fi

# conditional GET: the ETag and the date we were given
hdrs=$(cl timeout 10 curl -s -D - -o /dev/null "$URL/index.html" | tr -d '\r')
etag=$(sed -n 's/^[Ee][Tt]ag: //p' <<<"$hdrs")
lm=$(sed -n 's/^[Ll]ast-[Mm]odified: //p' <<<"$hdrs")
code=$(cl timeout 10 curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/index.html")
code2=$(cl timeout 10 curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$URL/index.html")
if [ -n "$etag" ] && [ "$code" = 304 ] && [ "$code2" = 200 ]; then pass ${P}http_if_none_match_304
else fail ${P}http_if_none_match_304 "etag '$etag': $code / $code2"; fi
code=$(cl timeout 10 curl -s -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $lm" "$URL/index.html")
if [ -n "$lm" ] && [ "$code" = 304 ]; then pass ${P}http_if_modified_since_304
else fail ${P}http_if_modified_since_304 "last-modified '$lm': $code"; fi

# 404 with the site's own page; no way out of the site
cl timeout 10 curl -s -o "$TEST_TMP/404.got" -w '%{http_code}' "$URL/no/such/page" >"$TEST_TMP/r"
if [ "$(cat "$TEST_TMP/r")" = 404 ] && cmp -s "$TEST_TMP/404.got" "$SITE/404.html"; then pass ${P}http_404_page
else fail ${P}http_404_page "$(cat "$TEST_TMP/r")"; fi
out=$(raw 'GET /../cirage.toml HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
out2=$(raw 'GET /%%2e%%2e/cirage.toml HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
s1=$(status_of <<<"$out"); s2=$(status_of <<<"$out2")
if [[ $s1 =~ ^4 ]] && [[ $s2 =~ ^4 ]]; then pass ${P}http_no_path_traversal
else fail ${P}http_no_path_traversal "got $s1 and $s2"; fi

# pipelining: two requests in one write, two answers in order
out=$(raw 'GET /css/site.css HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' | tr -d '\r')
if [ "$(grep -c '^HTTP/1.1 ' <<<"$out")" -eq 2 ] && [ "$(grep '^HTTP/1.1 ' <<<"$out" | awk '{print $2}' | tr '\n' ' ')" = "200 404 " ]; then
	pass ${P}http_pipelining
else fail ${P}http_pipelining "$(grep '^HTTP/1.1' <<<"$out" | tr '\n' ' ')"; fi

# malformed and oversized requests get the right status
expect_status() { # NAME STATUS REQUEST
	local got
	got=$(raw "$3" | status_of)
	if [ "$got" = "$2" ]; then pass ${P}$1; else fail ${P}$1 "expected $2, got '${got}'"; fi
}
expect_status http_malformed_400 400 'GARBAGE\r\n\r\n'
expect_status http_bad_header_400 400 'GET / HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n'
expect_status http_post_405 405 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi'
expect_status http_body_too_large_413 413 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999999\r\n\r\n'
long=$(head -c 9000 /dev/zero | tr '\0' a)
expect_status http_uri_too_long_414 414 "GET /$long HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n"
big=""; for i in $(seq 80); do big+="X-Filler-$i: $(head -c 100 /dev/zero | tr '\0' b)\\r\\n"; done
expect_status http_headers_too_large_431 431 "GET / HTTP/1.1\\r\\nHost: t\\r\\n$big\\r\\n"
expect_status http_unknown_method_501 501 'BREW / HTTP/1.1\r\nHost: t\r\n\r\n'
expect_status http_unknown_coding_501 501 'POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n'
expect_status http_version_505 505 'GET / HTTP/2.7\r\nHost: t\r\n\r\n'

# still serving after all that
code=$(cl timeout 10 curl -s -o /dev/null -w '%{http_code}' "$URL/")
if [ "$code" = 200 ]; then pass ${P}http_serves_after_bad_requests; else fail ${P}http_serves_after_bad_requests "got $code"; fi

# a short bounded load: 32 connections, 3 s, no errors, no non-2xx answers
if command -v wrk >/dev/null; then
	out=$(cl timeout 30 wrk -t2 -c32 -d3s --timeout 5s "$URL/index.html" 2>&1)
	rps=$(awk '/^Requests\/sec:/ {print int($2)}' <<<"$out")
	if [ "${rps:-0}" -gt 0 ] && ! grep -q 'Socket errors' <<<"$out" && ! grep -q 'Non-2xx' <<<"$out"; then
		pass ${P}http_wrk_load_no_errors
	else fail ${P}http_wrk_load_no_errors "$(tr '\n' ' ' <<<"$out")"; fi
else
	skip ${P}http_wrk_load_no_errors "wrk is not installed (scripts/test.sh installs it)"
fi
