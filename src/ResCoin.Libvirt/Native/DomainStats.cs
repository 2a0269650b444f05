using System.Buffers.Text;

namespace ResCoin.Libvirt.Native;

/// <summary>The fields of one virConnectGetAllDomainStats record that ResCoin uses; NaN where absent.</summary>
internal struct DomainStats
{
    public double State;
    public double CpuTimeNs;
    public double BalloonCurrentKiB;
    public double BalloonMaximumKiB;
    public double BalloonRssKiB;
    public double BalloonUnusedKiB;
    public double BalloonAvailableKiB;
    public double BalloonUsableKiB;
    public double BalloonLastUpdate;
    public double VcpuCurrent;
    public double VcpuMaximum;
    public double VcpuDelayNs;
    public double VcpuTimeNs;
    public int BlockCount;
    public double BlockReadBytes;
    public double BlockWriteBytes;
    public int NetCount;
    public double NetRxBytes;
    public double NetTxBytes;

    public static DomainStats Empty => new()
    {
        State = double.NaN,
        CpuTimeNs = double.NaN,
        BalloonCurrentKiB = double.NaN,
        BalloonMaximumKiB = double.NaN,
        BalloonRssKiB = double.NaN,
        BalloonUnusedKiB = double.NaN,
        BalloonAvailableKiB = double.NaN,
        BalloonUsableKiB = double.NaN,
        BalloonLastUpdate = double.NaN,
        VcpuCurrent = double.NaN,
        VcpuMaximum = double.NaN,
        VcpuDelayNs = double.NaN,
        VcpuTimeNs = double.NaN,
        BlockReadBytes = double.NaN,
        BlockWriteBytes = double.NaN,
        NetRxBytes = double.NaN,
        NetTxBytes = double.NaN,
    };

    /// <summary>Whether the guest reports memory statistics (the balloon driver is loaded and a stats period is set).</summary>
    public readonly bool HasGuestMemoryStats
        => !double.IsNaN(BalloonUsableKiB) || !double.IsNaN(BalloonUnusedKiB) || !double.IsNaN(BalloonAvailableKiB) || BalloonLastUpdate > 0;

    /// <summary>
    /// Guest-used memory in bytes: <c>available - usable</c>, else <c>current - unused</c>, else <c>rss</c>; the guest's own
    /// figures are skipped when <paramref name="fresh"/> is false (stale <c>last-update</c>).
    /// </summary>
    public readonly double GuestUsedBytes(bool fresh)
    {
        if (fresh)
        {
            if (BalloonAvailableKiB > 0 && BalloonUsableKiB >= 0 && BalloonUsableKiB <= BalloonAvailableKiB)
            {
                return (BalloonAvailableKiB - BalloonUsableKiB) * 1024;
            }

            if (BalloonCurrentKiB > 0 && BalloonUnusedKiB >= 0 && BalloonUnusedKiB <= BalloonCurrentKiB)
            {
                return (BalloonCurrentKiB - BalloonUnusedKiB) * 1024;
            }
        }

        return BalloonRssKiB >= 0 ? BalloonRssKiB * 1024 : double.NaN;
    }
}

/// <summary>Parses the typed parameters of a bulk-stats record without allocating.</summary>
internal static class DomainStatsParser
{
    public static DomainStats Parse(ReadOnlySpan<TypedParameter> parameters)
    {
        DomainStats s = DomainStats.Empty;
        double blockRd = 0, blockWr = 0, netRx = 0, netTx = 0, vcpuDelay = 0, vcpuTime = 0;
        bool anyBlockRd = false, anyBlockWr = false, anyNetRx = false, anyNetTx = false, anyDelay = false, anyVcpuTime = false;
        int blockCount = 0, netCount = 0;
        foreach (ref readonly TypedParameter p in parameters)
        {
            ReadOnlySpan<byte> name = p.Name;
            if (name.StartsWith("block."u8))
            {
                ReadOnlySpan<byte> rest = name["block."u8.Length..];
                if (rest.SequenceEqual("count"u8))
                {
                    blockCount = (int)p.AsInt64();
                }
                else if (TrySplitIndex(rest, out ReadOnlySpan<byte> field))
                {
                    if (field.SequenceEqual("rd.bytes"u8))
                    {
                        blockRd += p.AsDouble();
                        anyBlockRd = true;
                    }
                    else if (field.SequenceEqual("wr.bytes"u8))
                    {
                        blockWr += p.AsDouble();
                        anyBlockWr = true;
                    }
                }
            }
            else if (name.StartsWith("net."u8))
            {
                ReadOnlySpan<byte> rest = name["net."u8.Length..];
                if (rest.SequenceEqual("count"u8))
                {
                    netCount = (int)p.AsInt64();
                }
                else if (TrySplitIndex(rest, out ReadOnlySpan<byte> field))
                {
                    if (field.SequenceEqual("rx.bytes"u8))
                    {
                        netRx += p.AsDouble();
                        anyNetRx = true;
                    }
                    else if (field.SequenceEqual("tx.bytes"u8))
                    {
                        netTx += p.AsDouble();
                        anyNetTx = true;
                    }
                }
            }
            else if (name.SequenceEqual("cpu.time"u8))
            {
                s.CpuTimeNs = p.AsDouble();
            }
            else if (name.SequenceEqual("state.state"u8))
            {
                s.State = p.AsDouble();
            }
            else if (name.StartsWith("balloon."u8))
            {
                ReadOnlySpan<byte> f = name["balloon."u8.Length..];
                double v = p.AsDouble();
                if (f.SequenceEqual("current"u8))
                {
                    s.BalloonCurrentKiB = v;
                }
                else if (f.SequenceEqual("maximum"u8))
                {
                    s.BalloonMaximumKiB = v;
                }
                else if (f.SequenceEqual("rss"u8))
                {
                    s.BalloonRssKiB = v;
                }
                else if (f.SequenceEqual("unused"u8))
                {
                    s.BalloonUnusedKiB = v;
                }
                else if (f.SequenceEqual("available"u8))
                {
                    s.BalloonAvailableKiB = v;
                }
                else if (f.SequenceEqual("usable"u8))
                {
                    s.BalloonUsableKiB = v;
                }
                else if (f.SequenceEqual("last-update"u8))
                {
                    s.BalloonLastUpdate = v;
                }
            }
            else if (name.StartsWith("vcpu."u8) && TrySplitIndex(name["vcpu."u8.Length..], out ReadOnlySpan<byte> vcpuField))
            {
                if (vcpuField.SequenceEqual("delay"u8))
                {
                    vcpuDelay += p.AsDouble();
                    anyDelay = true;
                }
                else if (vcpuField.SequenceEqual("time"u8))
                {
                    vcpuTime += p.AsDouble();
                    anyVcpuTime = true;
                }
            }
            else if (name.SequenceEqual("vcpu.current"u8))
            {
                s.VcpuCurrent = p.AsDouble();
            }
            else if (name.SequenceEqual("vcpu.maximum"u8))
            {
                s.VcpuMaximum = p.AsDouble();
            }
        }

        s.VcpuDelayNs = anyDelay ? vcpuDelay : double.NaN;
        s.VcpuTimeNs = anyVcpuTime ? vcpuTime : double.NaN;
        s.BlockCount = blockCount;
        s.NetCount = netCount;
        s.BlockReadBytes = anyBlockRd ? blockRd : double.NaN;
        s.BlockWriteBytes = anyBlockWr ? blockWr : double.NaN;
        s.NetRxBytes = anyNetRx ? netRx : double.NaN;
        s.NetTxBytes = anyNetTx ? netTx : double.NaN;
        return s;
    }

    /// <summary>Splits <c>N.field</c> into the field after a decimal index.</summary>
    private static bool TrySplitIndex(ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        int dot = rest.IndexOf((byte)'.');
        if (dot <= 0 || !Utf8Parser.TryParse(rest[..dot], out int _, out int consumed) || consumed != dot)
        {
            field = default;
            return false;
        }

        field = rest[(dot + 1)..];
        return true;
    }
}
