#!/usr/bin/env bash
# tests/hvt/vm.bash - run every hvt test inside the test VM (tests/vm/),
# for hosts whose /dev/kvm does not work: QEMU emulates the CPU, SVM
# included, so KVM works inside. The VM boots once for the whole group;
# what the tests need is copied in at the same paths: the tender and its
# helper, the test guests and images prepare.bash built, the test scripts
# and the host tools they call (each with the libraries ldd lists).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
copy=(--copy "$ROOT/build/bin/cirage-hvt" --copy "$ROOT/build/bin/cirage-slirp"
	--copy "$ROOT/build/tests/hvt/images" --copy "$ROOT/build/tests/spt/hello"
	--copy "$ROOT/tests/hvt" --copy "$ROOT/tests/lib.sh" --copy "$ROOT/tests/tender.bash" --copy "$ROOT/tests/e2e/lib"
	--copy "$ROOT/build/tests/tools")
[ -d /usr/share/gdb ] && copy+=(--copy /usr/share/gdb)
for g in "$ROOT"/build/tests/hvt/tester*; do
	copy+=(--copy "$g")
done
for tool in bash timeout grep sed dd cmp truncate head tail tr md5sum sha256sum cat sleep kill \
	mktemp rm mkdir cp ip ping curl socat gdb wc sort seq awk stat od date cut numfmt; do
	p=$(type -P "$tool") && copy+=(--copy "$p")
done
exec bash "$ROOT/tests/vm/run.sh" --mem 2048 --timeout 2300 "${copy[@]}" -- bash "$ROOT/tests/hvt/all.bash"
