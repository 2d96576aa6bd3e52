#!/usr/bin/env bash
# tests/hvt/all.bash - run every tests/hvt/*.sh and prefix each result line
# with the script's name ("PASS tender/boot_hello"). tests/run calls this
# inside the test VM (tests/vm/run.sh) when the host's /dev/kvm does not
# work; everything was built on the host by prepare.bash first.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT CIRAGE_HVT_PREPARED=1 CIRAGE_HVT_SLOW=1
rc=0
for t in "$ROOT"/tests/hvt/*.sh; do
	name=$(basename "$t" .sh)
	if ! timeout -k 5 900 bash "$t" >"/tmp/hvt-$name.out" 2>"/tmp/hvt-$name.err"; then
		grep -q '^FAIL ' "/tmp/hvt-$name.out" ||
			echo "FAIL $name: exited with an error: $(tail -c 300 "/tmp/hvt-$name.err" | tr '\n' ' ')"
		rc=1
	fi
	sed -n "s/^\(PASS\|FAIL\|SKIP\) /\1 $name\//p" "/tmp/hvt-$name.out"
done
exit $rc
