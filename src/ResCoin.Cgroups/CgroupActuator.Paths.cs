namespace ResCoin.Cgroups;

/// <summary>The files the actuator writes for a cgroup, by cgroup version (built once per cgroup).</summary>
public sealed partial class CgroupActuator
{
    private readonly Dictionary<VmId, Paths> _paths = [];

    private Paths GetPaths(VmId vm)
    {
        if (_paths.TryGetValue(vm, out Paths? p))
        {
            return p;
        }

        string rel = vm.Name.Trim('/');
        p = new Paths { Vm = vm };
        if (_layout.UsesV2)
        {
            string dir = _layout.UnifiedMount + "/" + rel;
            p.CpuMax = dir + "/cpu.max";
            p.CpuWeight = dir + "/cpu.weight";
            p.MemorySetting = _options.UseHardMemoryLimit ? "memory.max" : "memory.high";
            p.Memory = dir + "/" + p.MemorySetting;
            p.IoMax = dir + "/io.max";
            p.MemoryLow = dir + "/memory.low";
        }
        else
        {
            string cpu = (_layout.V1Root("cpu") ?? "/nonexistent/cpu") + "/" + rel;
            string memory = (_layout.V1Root("memory") ?? "/nonexistent/memory") + "/" + rel;
            string blkio = (_layout.V1Root("blkio") ?? "/nonexistent/blkio") + "/" + rel;
            p.CfsQuota = cpu + "/cpu.cfs_quota_us";
            p.CfsPeriod = cpu + "/cpu.cfs_period_us";
            p.CpuShares = cpu + "/cpu.shares";
            p.MemorySetting = _options.UseHardMemoryLimit ? "memory.limit_in_bytes" : "memory.soft_limit_in_bytes";
            p.Memory = memory + "/" + p.MemorySetting;
            p.ReadBps = blkio + "/blkio.throttle.read_bps_device";
            p.WriteBps = blkio + "/blkio.throttle.write_bps_device";
        }

        _paths.Add(vm, p);
        return p;
    }

    private sealed class Paths
    {
        public VmId Vm { get; init; }

        public string CpuMax { get; set; } = string.Empty;

        public string CpuWeight { get; set; } = string.Empty;

        public string CfsQuota { get; set; } = string.Empty;

        public string CfsPeriod { get; set; } = string.Empty;

        public string CpuShares { get; set; } = string.Empty;

        public string Memory { get; set; } = string.Empty;

        public string MemorySetting { get; set; } = string.Empty;

        public string IoMax { get; set; } = string.Empty;

        public string MemoryLow { get; set; } = string.Empty;

        public string ReadBps { get; set; } = string.Empty;

        public string WriteBps { get; set; } = string.Empty;
    }
}
