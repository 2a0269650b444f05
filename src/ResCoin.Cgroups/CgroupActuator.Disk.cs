using ResCoin.Actuation;
using ResCoin.Cgroups.Parsing;

namespace ResCoin.Cgroups;

/// <summary>
/// Disk: read and write caps on each configured device (<see cref="CgroupOptions.Devices"/>): v2 one <c>io.max</c> line
/// per device; v1 <c>blkio.throttle.read_bps_device</c> / <c>write_bps_device</c>. Disk weights are not written.
/// </summary>
public sealed partial class CgroupActuator
{
    private readonly Device[] _devices;

    private static Device[] ParseDevices(CgroupOptions options)
    {
        var devices = new Device[options.Devices.Count];
        for (int i = 0; i < devices.Length; i++)
        {
            if (!CgroupOptionsRulesValidator.TryParseDevice(options.Devices[i], out int major, out int minor))
            {
                throw new ArgumentException($"Devices[{i}]: '{options.Devices[i]}' is not a block device number MAJ:MIN (e.g. 8:0).", nameof(options));
            }

            string dev = $"{major}:{minor}";
            devices[i] = new Device(major, minor, "io.max " + dev, "blkio.throttle.read_bps_device " + dev, "blkio.throttle.write_bps_device " + dev);
        }

        return devices;
    }

    private void ApplyDisk(Paths p, double readCap, double writeCap, bool dryRun)
    {
        Span<byte> text = stackalloc byte[96];
        foreach ((int major, int minor, string ioMaxKey, string readKey, string writeKey) in _devices)
        {
            if (_layout.UsesV2)
            {
                if (!double.IsFinite(readCap) && !double.IsFinite(writeCap))
                {
                    PutBack(p.Vm, ioMaxKey, p.IoMax, dryRun);
                    continue;
                }

                if (!TryRead(p.IoMax, out ReadOnlySpan<byte> content))
                {
                    return;
                }

                // One line per device: a direction without a cap keeps its current value while the other is capped.
                CgroupParsers.TryGetIoMax(content, p.IoMax, major, minor, out long rbps, out long wbps);
                StepDecision r = DiskStep(rbps, readCap);
                StepDecision w = DiskStep(wbps, writeCap);
                if (r.Apply || w.Apply)
                {
                    long newR = r.Apply ? (long)Math.Round(r.Value) : rbps;
                    long newW = w.Apply ? (long)Math.Round(w.Value) : wbps;
                    int n = CgroupParsers.FormatIoMax(major, minor, newR, newW, text);
                    Change(p.Vm, ioMaxKey, p.IoMax, text[..n], "rbps=" + (rbps < 0 ? "max" : Invariant(rbps)) + " wbps=" + (wbps < 0 ? "max" : Invariant(wbps)), dryRun);
                }
            }
            else
            {
                ApplyV1Device(p, p.ReadBps, readKey, major, minor, readCap, dryRun, text);
                ApplyV1Device(p, p.WriteBps, writeKey, major, minor, writeCap, dryRun, text);
            }
        }
    }

    private void ApplyV1Device(Paths p, string path, string key, int major, int minor, double target, bool dryRun, Span<byte> text)
    {
        if (!double.IsFinite(target))
        {
            PutBack(p.Vm, key, path, dryRun);
            return;
        }

        if (!TryRead(path, out ReadOnlySpan<byte> content))
        {
            return;
        }

        long current = CgroupParsers.TryGetDeviceValue(content, path, major, minor, out long v) ? v : -1;
        StepDecision d = DiskStep(current, target);
        if (d.Apply)
        {
            int n = CgroupParsers.FormatDeviceValue(major, minor, (long)Math.Round(d.Value), text);
            Change(p.Vm, key, path, text[..n], current < 0 ? "0" : Invariant(current), dryRun);
        }
    }

    private StepDecision DiskStep(long current, double target)
        => double.IsFinite(target)
            ? SafeStep.Compute(current <= 0 ? double.NaN : current, target, new StepLimits(_options.MinDiskBytesPerSecond, double.PositiveInfinity, _options.DiskMaxDecreaseFraction, _options.DeadBandFraction))
            : new StepDecision(false, current);

    /// <summary>A configured block device and the journal's names of its settings (the file and the device).</summary>
    private readonly record struct Device(int Major, int Minor, string IoMaxKey, string ReadKey, string WriteKey);
}
