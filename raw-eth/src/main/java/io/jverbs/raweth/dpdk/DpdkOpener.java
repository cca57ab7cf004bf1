package io.jverbs.raweth.dpdk;

import io.jverbs.dpdk.DeviceInfo;
import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EalOptions;
import io.jverbs.dpdk.EthPort;
import io.jverbs.dpdk.Mbuf;
import io.jverbs.dpdk.MbufPool;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortHints;
import io.jverbs.raweth.port.PortOpener;
import io.jverbs.raweth.port.PortSpec;

/**
 * Opens {@code dpdk:<EAL arguments> [-- port=<name|id>] [burst=<n>]} (syntax: {@link DpdkSpec})
 * as a {@link DpdkPort} (a service). It initializes the EAL with the given arguments, picks the
 * ethdev ({@code port=}, else the first), makes a pool sized for the port's rings and bursts with
 * buffers for its MTU, and opens the port on it. EAL initializes once per JVM, so there is one such
 * port per process; the port owns the EAL and its {@link DpdkPort#close()} closes the ethdev, the
 * pool and then the EAL. The ethdev receives in promiscuous mode: the hints only supply the MAC to
 * report for a device that has none (net_ring).
 */
public final class DpdkOpener implements PortOpener {
    /** For the service loader. */
    public DpdkOpener() {
    }

    @Override
    public String scheme() {
        return "dpdk";
    }

    @Override
    public void check(PortSpec spec) {
        DpdkSpec.parse(spec);
    }

    @Override
    public PacketPort open(PortSpec spec, PortHints hints) {
        DpdkSpec s = DpdkSpec.parse(spec);
        Eal eal = Eal.init(EalOptions.builder().arg(s.ealArgs().toArray(String[]::new)).build());
        try {
            EthPort port = ethPort(eal, s.port(), spec);
            DeviceInfo info = port.info();
            int frame = port.mtu() + 18; // as DpdkPort checks: Ethernet header and one VLAN tag
            int dataRoom = Math.max(MbufPool.DEFAULT_DATA_ROOM, frame + Mbuf.HEADROOM);
            // Every mbuf that can be out of the pool at once: both rings full, the port's staged
            // receive burst and the caller's bursts in flight, and the per-lcore caches.
            int cache = Math.min(MbufPool.MAX_CACHE_SIZE, s.burst());
            int need = ring(info.preferredRxRingSize(), info.rxDescriptorLimits()) + ring(info.preferredTxRingSize(),
                    info.txDescriptorLimits()) + 4 * s.burst() + cache * (eal.lcoreCount() + 1);
            int count = Integer.highestOneBit(need) * 2 - 1; // mempools are most compact at 2^n - 1
            MbufPool pool = MbufPool.create(eal, "jverbs-port" + port.id(), count, cache, dataRoom, MbufPool.SOCKET_ANY);
            long own = port.macAddress().bits();
            return DpdkPort.open(port, pool, s.burst(), own == 0 ? hints.localMac() : null, eal);
        } catch (RuntimeException | Error e) {
            try {
                eal.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static EthPort ethPort(Eal eal, String name, PortSpec spec) {
        if (name == null) {
            int[] ids = eal.portIds();
            if (ids.length == 0) {
                throw new IllegalArgumentException("'" + spec + "': EAL probed no ethdev: add a device, e.g."
                        + " --vdev net_af_packet0,iface=veth0 (with --no-pci) or a PCI address bound to a DPDK driver");
            }
            return EthPort.of(eal, ids[0]);
        }
        return name.chars().allMatch(Character::isDigit) ? EthPort.of(eal, Integer.parseInt(name)) : EthPort.byName(eal, name);
    }

    /** The ring size {@link EthPort#configure} picks for a default-sized queue. */
    private static int ring(int preferred, DeviceInfo.DescriptorLimits limits) {
        int n = preferred != 0 ? preferred : 1024;
        return Math.max(limits.min(), limits.max() == 0 ? n : Math.min(limits.max(), n));
    }
}
