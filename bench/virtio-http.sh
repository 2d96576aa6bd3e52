#!/usr/bin/env bash
# bench/virtio-http.sh - the static website's requests per second and
# latency as a virtio image on QEMU microvm, beside spt and nginx in the
# same run and on the same terms: bench/spt-http.sh with its virtio column
# (CIRAGE_BENCH_VIRTIO=1), without spt's --mem search.
# Usage (root): bench/virtio-http.sh [SECONDS]   (default 10)
exec env CIRAGE_BENCH_VIRTIO=1 CIRAGE_BENCH_VIRTIO_ONLY=1 bash "$(dirname "$0")/spt-http.sh" "$@"
