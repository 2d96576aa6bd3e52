#!/usr/bin/env bash
# Compiled-in stores (kv_ro "crunch"): what configure generates from the
# folder (_build/crunch_DEVICE.c, its Makefile rule, the constructor call),
# an image built and run on unix (and on spt when its library and tender
# are built) that walks the store and prints every key, size, content type,
# ETag and byte, compared with the folder itself; `cirage build` picking up
# a changed, added or removed file; and the configure errors: a missing
# folder, a symlink, a FIFO, a key too long, a tree too large.
source "$(dirname "$0")/common.bash"

APP_SRC='#include <stdio.h>

#include "cirage_app.h"

static cr_kv_ro *kv;

static int walk(const char *dir);

static int entry(void *arg, const char *name, bool is_dir)
{
	const char *dir = arg;
	char key[1100];
	unsigned char buf[7];
	struct cr_kv_stat st;
	uint64_t off = 0;
	cr_ssize_t n;

	snprintf(key, sizeof(key), "%s%s%s", dir, *dir ? "/" : "", name);
	if (cr_kv_stat(kv, key, &st) < 0 || st.is_dir != is_dir) {
		cr_printf("bad stat %s\n", key);
		return 1;
	}
	if (is_dir) {
		cr_printf("d %s\n", key);
		return walk(key);
	}
	cr_printf("f %s %llu %s %s ", key, (unsigned long long)st.size,
	          st.content_type ? st.content_type : "-", st.etag[0] ? st.etag : "-");
	while ((n = cr_kv_get(kv, key, off, buf, sizeof(buf))) > 0) {
		for (cr_ssize_t i = 0; i < n; i++)
			cr_printf("%02x", buf[i]);
		off += (uint64_t)n;
	}
	cr_printf("\n");
	if (n < 0 || off != st.size) {
		cr_printf("bad get %s: %lld at %llu\n", key, (long long)n, (unsigned long long)off);
		return 1;
	}
	return 0;
}

static int walk(const char *dir)
{
	return cr_kv_list(kv, dir, entry, (void *)dir);
}

int x_start(cr_kv_ro *site)
{
	char b[4];
	struct cr_kv_stat st;

	kv = site;
	cr_printf("errors %d %d %d %d %d\n", (int)cr_kv_get(kv, "nope", 0, b, sizeof(b)),
	          (int)cr_kv_get(kv, "css", 0, b, sizeof(b)), cr_kv_list(kv, "index.html", entry, ""),
	          cr_kv_stat(kv, "index.html/x", &st), (int)cr_kv_get(kv, "a//b", 0, b, sizeof(b)));
	return walk("");
}'

d=$(new_app app "$APP_SRC" <<'EOF'
name = "app"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF
)
h=$d/htdocs
mkdir -p "$h/css/deep/er" "$h/empty" "$h/img"
printf '<!doctype html>\n<h1>Hello</h1>\n' >"$h/index.html"
printf 'body { color: red; }\n' >"$h/css/site.css"
printf 'x' >"$h/css/deep/er/a.TXT"
printf 'q"uote?\\\n' >"$h/we ird?.js"
: >"$h/zero"
printf '.hidden\n' >"$h/.htaccess"
# every byte value
printf "$(printf '\\%03o' $(seq 0 255))" >"$h/img/bytes.png"
head -c 5000 /dev/urandom >"$h/img/photo.jpg"

type_of() {
	case "${1,,}" in
	*.html) echo "text/html; charset=utf-8" ;;
	*.css) echo "text/css; charset=utf-8" ;;
	*.js) echo "text/javascript; charset=utf-8" ;;
	*.txt) echo "text/plain; charset=utf-8" ;;
	*.png) echo "image/png" ;;
	*.jpg) echo "image/jpeg" ;;
	*) echo "application/octet-stream" ;;
	esac
}

# A listing as a directory store gives it: no content type, no ETag.
as_dir() {
	sed -E 's/^(f .+ [0-9]+) (.+) ([0-9a-f]{16}) ([0-9a-f]*)$/\1 - - \4/'
}

# What the image should print for the folder $1.
expected() {
	local root=$1 p k
	echo "errors -2 -21 -20 -2 -22"
	while IFS= read -r -d '' p; do
		k=${p#"$root"/}
		if [ -d "$p" ]; then
			echo "d $k"
		else
			echo "f $k $(stat -c %s "$p") $(type_of "$k") $(sha256sum <"$p" | cut -c1-16) $(od -An -v -tx1 <"$p" | tr -d ' \n')"
		fi
	done < <(find "$root" -mindepth 1 -print0)
}

out=$("$CIRAGE" configure -t unix --kv=crunch "$d" 2>&1); rc=$?
C=$d/_build/crunch_site.c
if [ $rc -eq 0 ] && [ -f "$C" ] && [ ! -e "$d/crunch_site.c" ] &&
	grep -q 'configured app for unix: 1 device, 0 keys' <<<"$out"; then
	pass crunch_configure_generates
else fail crunch_configure_generates "rc=$rc: $out"; fi

etag=$(sha256sum <"$h/index.html" | cut -c1-16)
if grep -qF '#include <cirage/compose/crunch.h>' "$C" &&
	grep -qF 'struct cr_crunch cr_gen_crunch_site = {.store = &cr_store};' "$C" &&
	grep -qF "$(printf '\t"<!doctype html>\\n"\n\t"<h1>Hello</h1>\\n";')" "$C" &&
	grep -A6 '{.key = "index.html",' "$C" | grep -qF ".etag = \"$etag\"," &&
	grep -A6 '{.key = "index.html",' "$C" | grep -qF '.content_type = "text/html; charset=utf-8",' &&
	grep -A6 '{.key = "index.html",' "$C" | grep -qF ".mtime_ns = INT64_C($(stat -c %Y "$h/index.html")" &&
	grep -qF '{.key = "we ird?.js",' "$C" && grep -qF '"q\"uote\?\\\n";' "$C" &&
	grep -A5 '{.key = "css",' "$C" | grep -qF '.count = 2,' &&
	grep -A5 '{.key = "empty",' "$C" | grep -qF '.count = 0,' &&
	grep -qF '8 files (5326 bytes) and 5 directories' "$C"; then
	pass crunch_generated_table
else fail crunch_generated_table "$(head -c 3000 "$C")"; fi

M=$d/_build/main.c
if grep -qF '#include <cirage/compose/crunch.h>' "$M" && grep -qF 'extern struct cr_crunch cr_gen_crunch_site;' "$M" &&
	grep -qF 'rc = cr_crunch_kv_ro_open(&dev_site, &cr_gen_crunch_site);' "$M" &&
	! grep -q 'cr_gen_attach' "$M" &&
	grep -qE '^OBJS := obj/app/a.o obj/crunch_site.o obj/main.o$' "$d/_build/Makefile" &&
	grep -qF 'obj/crunch_site.o: crunch_site.c Makefile' "$d/_build/Makefile"; then
	pass crunch_main_and_makefile
else fail crunch_main_and_makefile "$(cat "$M" "$d/_build/Makefile")"; fi

out=$("$CIRAGE" describe "$d" 2>&1); rc=$?
check crunch_describe [ $rc -eq 0 -a -n "$(grep 'site: kv_ro over crunch (a directory compiled into the image)' <<<"$out")" ]

# Configuring again with nothing changed rewrites nothing.
out=$("$CIRAGE" configure -t unix --kv=crunch "$d" 2>&1); rc=$?
check crunch_reconfigure_unchanged [ $rc -eq 0 -a -n "$(grep '(0 files changed)' <<<"$out")" ]

if ! have_lib; then
	for t in crunch_unix_runs crunch_build_picks_up_changes crunch_build_unchanged_no_rebuild \
		crunch_switch_to_dir; do
		skip "$t" "build/unix/libcirage.a is missing (make libs)"
	done
else
	out=$("$CIRAGE" build "$d" 2>&1) && run=$("$d/_build/app" 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q 'CC      _build/crunch_site.c' <<<"$out" &&
		[ "$(sort <<<"$run")" = "$(expected "$h" | sort)" ]; then
		pass crunch_unix_runs
	else fail crunch_unix_runs "rc=$rc: $out / $(diff <(sort <<<"$run") <(expected "$h" | sort) | head -20)"; fi

	out=$("$CIRAGE" build "$d" 2>&1); rc=$?
	check crunch_build_unchanged_no_rebuild [ $rc -eq 0 -a -z "$(grep 'CC ' <<<"$out")" ]

	# A changed, an added and a removed file: `cirage build` reads the
	# folder again (configure runs at every build).
	sleep 0.01
	printf 'changed\n' >"$h/index.html"
	printf 'new' >"$h/css/new.txt"
	rm "$h/img/photo.jpg"
	out=$("$CIRAGE" build "$d" 2>&1) && run=$("$d/_build/app" 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q 'CC      _build/crunch_site.c' <<<"$out" && ! grep -q 'CC      a.c' <<<"$out" &&
		grep -q '^f index.html 8 ' <<<"$run" && grep -q '^f css/new.txt 3 ' <<<"$run" &&
		! grep -q photo <<<"$run" && [ "$(sort <<<"$run")" = "$(expected "$h" | sort)" ]; then
		pass crunch_build_picks_up_changes
	else fail crunch_build_picks_up_changes "rc=$rc: $out / $run"; fi

	# The same folder served from the directory (--kv=dir): the stale
	# crunch_site.c goes away, and the listing is the same but for the
	# content types and ETags a directory store does not keep.
	out=$("$CIRAGE" configure -t unix --kv=dir "$d" 2>&1) && out=$("$CIRAGE" build "$d" 2>&1) &&
		run=$("$d/_build/app" 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ ! -e "$C" ] && ! grep -q crunch "$d/_build/Makefile" &&
		[ "$(sort <<<"$run")" = "$(expected "$h" | as_dir | sort)" ]; then
		pass crunch_switch_to_dir
	else fail crunch_switch_to_dir "rc=$rc: $out / $(diff <(sort <<<"$run") <(expected "$h" | as_dir | sort) | head)"; fi
fi

# ---- spt: the default kv_ro implementation -----------------------------------------
why=""
[ -f "$ROOT/build/spt/libcirage.a" ] || why="build/spt/libcirage.a is missing (make libs)"
[ -z "$why" ] && [ ! -x "$ROOT/build/bin/cirage-spt" ] && why="build/bin/cirage-spt is missing (make)"
if [ -n "$why" ]; then
	skip crunch_spt_runs "$why"
else
	unset CIRAGE_SPT_TENDER
	s=$TEST_TMP/spt
	cp -r "$d" "$s" && rm -rf "$s/_build"
	out=$("$CIRAGE" configure -t spt "$s" 2>&1 && "$CIRAGE" build "$s" 2>&1); rc=$?
	run=$("$CIRAGE" run "$s" 2>"$TEST_TMP/spt.err"); rrc=$?
	if [ $rc -eq 0 ] && [ $rrc -eq 0 ] && [ -f "$s/_build/crunch_site.c" ] &&
		[ "$(sort <<<"$run")" = "$(expected "$s/htdocs" | sort)" ]; then
		pass crunch_spt_runs
	else fail crunch_spt_runs "rc=$rc/$rrc: $(tail -5 <<<"$out") / $(head -5 <<<"$run") $(tail -5 "$TEST_TMP/spt.err")"; fi
fi

# ---- configure errors ------------------------------------------------------------------
expect_error crunch_missing_folder 4 "directory 'htdocs' (option 'source' of device 'site') does not exist" \
	--args '-t unix --kv=crunch' <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF

expect_error crunch_missing_folder_spt 4 "directory 'www' (option 'source' of device 'site') does not exist" \
	--args '-t spt' <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "www" }
EOF

expect_error crunch_symlink 5 \
	"'htdocs/sub/link.html' is a symbolic link: a compiled-in store (device 'site', kv_ro 'crunch') holds only regular files and directories; replace the link with a copy of what it points to, or remove it" \
	--args '-t unix --kv=crunch' --setup 'mkdir -p htdocs/sub && echo hi >htdocs/a.html && ln -s ../a.html htdocs/sub/link.html' <<'EOF'
name = "x"
start = "x_start"
[devices]
# the error is at the value of source
site = { kind = "kv_ro", source = "htdocs" }
EOF

expect_error crunch_symlink_to_directory 4 "'htdocs/up' is a symbolic link" \
	--args '-t spt' --setup 'mkdir htdocs && ln -s .. htdocs/up' <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF

expect_error crunch_fifo 4 "'htdocs/pipe' is a FIFO: a compiled-in store (device 'site', kv_ro 'crunch') holds only regular files and directories; remove it" \
	--args '-t unix --kv=crunch' --setup 'mkdir htdocs && mkfifo htdocs/pipe' <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF

# 16 MiB of data at most: a sparse file just over it (never read).
expect_error crunch_too_large 4 \
	"directory 'htdocs' (option 'source' of device 'site') is too large to compile into the image: its files hold more than 16 MiB (16777216 bytes), the most a compiled-in store holds (reached at 'htdocs/b/big.bin')" \
	--args '-t unix --kv=crunch' --setup 'mkdir -p htdocs/b && echo a >htdocs/a.txt && truncate -s 16777215 htdocs/b/big.bin' <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF

# Exactly at the limit is accepted (checked without generating 64 MiB of C:
# configure only, then the file is removed).
d=$(new_app at_limit <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF
)
mkdir -p "$d/htdocs" && truncate -s 16777216 "$d/htdocs/big.bin"
out=$("$CIRAGE" configure -t unix --kv=crunch "$d" 2>&1); rc=$?
check crunch_at_limit_accepted [ $rc -eq 0 -a -f "$d/_build/crunch_site.c" ]
rm -rf "$d"

long=$(printf 'a%.0s' $(seq 1 250))
expect_error crunch_key_too_long 4 "has a key of 1254 bytes, longer than a key can be (1024 bytes): shorten the path" \
	--args '-t unix --kv=crunch' --setup "mkdir -p htdocs/$long/$long/$long/$long && touch htdocs/$long/$long/$long/$long/${long:0:250}" <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF

# Every problem is reported, and nothing is generated.
d=$(new_app two_errors <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
more = { kind = "kv_ro", source = "more" }
EOF
)
mkdir -p "$d/htdocs" "$d/more" && ln -s x "$d/htdocs/l1" && mkfifo "$d/more/p"
out=$("$CIRAGE" configure -t spt "$d" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "cirage.toml:4:.*'htdocs/l1' is a symbolic link" <<<"$out" &&
	grep -q "cirage.toml:5:.*'more/p' is a FIFO" <<<"$out" && grep -q '2 errors; nothing was generated' <<<"$out" &&
	[ ! -e "$d/_build" ]; then
	pass crunch_every_error_reported
else fail crunch_every_error_reported "rc=$rc: $out"; fi

# source = "." compiles the application's folder, but never its _build/.
d=$(new_app self <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "." }
EOF
)
sed -i 's/x_start(void)/x_start(cr_kv_ro *site)/' "$d/a.c"
# (The first configure creates _build/, which changes the folder's own
# mtime, the root's in the store: the second regenerates, the third not.)
out=$("$CIRAGE" configure -t unix --kv=crunch "$d" 2>&1) &&
	out=$("$CIRAGE" configure -t unix --kv=crunch "$d" 2>&1) &&
	out2=$("$CIRAGE" configure -t unix --kv=crunch "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qF '{.key = "cirage.toml",' "$d/_build/crunch_site.c" &&
	! grep -q '{.key = "_build' "$d/_build/crunch_site.c" && grep -q '(0 files changed)' <<<"$out2"; then
	pass crunch_skips_own_build
else fail crunch_skips_own_build "rc=$rc: $out $out2"; fi

# `cirage build` reads the folder again: a symlink added since configure
# stops the build with the same error.
d=$(new_app build_error <<'EOF2'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF2
)
sed -i 's/x_start(void)/x_start(cr_kv_ro *site)/' "$d/a.c"
mkdir -p "$d/htdocs" && echo hi >"$d/htdocs/a.txt"
out=$("$CIRAGE" configure -t unix --kv=crunch "$d" 2>&1) && ln -s a.txt "$d/htdocs/b.txt" &&
	out=$("$CIRAGE" build "$d" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "cirage.toml:4:35: error: 'htdocs/b.txt' is a symbolic link" <<<"$out"; then
	pass crunch_build_rereads_folder
else fail crunch_build_rereads_folder "rc=$rc: $out"; fi
