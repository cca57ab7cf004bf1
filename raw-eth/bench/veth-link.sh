# Sourced by raw-eth's bench-*.sh: two network namespaces joined by a veth pair, both removed on
# exit with the run's logs ($log.*), IPv6 off, offloads off on both ends (ethtool -K tx off tso off
# gso off: AF_PACKET cannot take the kernel's unfilled checksums and GSO frames, docs/raw-eth.md;
# the kernel runs use the same setting), links up, no addresses.
# Usage: log=...; veth_link PREFIX   (sets ns_s ns_c if_s if_c; in_s/in_c run a command in each)
in_s() { ip netns exec "$ns_s" "$@"; }
in_c() { ip netns exec "$ns_c" "$@"; }
veth_link() {
    : "${log:?set log before veth_link}"
    local tag=$(( $$ % 100000 )) ns
    ns_s=$1${tag}s ns_c=$1${tag}c if_s=$1${tag}s if_c=$1${tag}c
    # deleting a namespace takes its veth end, and so the pair
    trap 'ip netns del "$ns_s" 2>/dev/null; ip netns del "$ns_c" 2>/dev/null; rm -f "$log".*' EXIT
    trap 'exit 130' INT TERM
    for ns in "$ns_s" "$ns_c"; do
        ip netns add "$ns" || exit 1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip link add "$if_s" netns "$ns_s" type veth peer name "$if_c" netns "$ns_c" || exit 1
    in_s ethtool -K "$if_s" tx off tso off gso off >/dev/null
    in_c ethtool -K "$if_c" tx off tso off gso off >/dev/null
    ip -n "$ns_s" link set "$if_s" up
    ip -n "$ns_c" link set "$if_c" up
}
