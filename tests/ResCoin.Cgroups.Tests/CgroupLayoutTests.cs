using ResCoin.Cgroups.Detection;

namespace ResCoin.Cgroups.Tests;

public sealed class CgroupLayoutTests
{
    private const string V2 = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        26 25 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """;

    private const string V1 = """
        30 22 0:26 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755
        35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct
        36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid shared:16 - cgroup cgroup rw,memory
        37 30 0:33 / /sys/fs/cgroup/blkio rw,nosuid shared:17 - cgroup cgroup rw,blkio
        32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
        """;

    // This development machine: separate cpu and cpuacct mounts, no optional fields, an empty v2 at unified.
    private const string Hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    [Fact]
    public void FromMountInfo_V2Only_UsesUnified()
    {
        CgroupLayout layout = CgroupLayout.FromMountInfo(V2, CgroupVersionPreference.Auto);
        Assert.Equal(CgroupMode.V2, layout.Mode);
        Assert.True(layout.UsesV2);
        Assert.Equal("/sys/fs/cgroup", layout.UnifiedMount);
        Assert.Equal("/sys/fs/cgroup", layout.PrimaryRoot);
        Assert.Equal("/sys/fs/cgroup", layout.ControllerRoot("memory"));
    }

    [Fact]
    public void FromMountInfo_V1CoMounted_MapsEachController()
    {
        CgroupLayout layout = CgroupLayout.FromMountInfo(V1, CgroupVersionPreference.Auto);
        Assert.Equal(CgroupMode.V1, layout.Mode);
        Assert.False(layout.UsesV2);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1Root("cpu"));
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1Root("cpuacct"));
        Assert.Equal("/sys/fs/cgroup/memory", layout.V1Root("memory"));
        Assert.Equal("/sys/fs/cgroup/blkio", layout.V1Root("blkio"));
        Assert.Null(layout.V1Root("systemd"));
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.PrimaryRoot);
    }

    [Fact]
    public void FromMountInfo_Hybrid_UsesV1Controllers_KeepsUnifiedForPsi()
    {
        CgroupLayout layout = CgroupLayout.FromMountInfo(Hybrid, CgroupVersionPreference.Auto);
        Assert.Equal(CgroupMode.Hybrid, layout.Mode);
        Assert.False(layout.UsesV2);
        Assert.Equal("/sys/fs/cgroup/unified", layout.UnifiedMount);
        Assert.Equal("/sys/fs/cgroup/cpu", layout.V1Root("cpu"));
        Assert.Equal("/sys/fs/cgroup/cpuacct", layout.V1Root("cpuacct"));
        Assert.Equal("/sys/fs/cgroup/cpuacct", layout.PrimaryRoot);
    }

    [Fact]
    public void FromMountInfo_EscapedSpaceInMountPoint_Unescaped()
    {
        const string text = "26 25 0:24 / /run/my\\040cgroups rw,relatime shared:8 master:1 - cgroup2 cgroup2 rw\n";
        CgroupLayout layout = CgroupLayout.FromMountInfo(text, CgroupVersionPreference.Auto);
        Assert.Equal("/run/my cgroups", layout.UnifiedMount);
    }

    [Fact]
    public void FromMountInfo_ForcedVersionMissing_ThrowsClearError()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => CgroupLayout.FromMountInfo(V1, CgroupVersionPreference.V2));
        Assert.Contains("cgroup v2 was requested", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => CgroupLayout.FromMountInfo(V2, CgroupVersionPreference.V1));
        Assert.Throws<InvalidOperationException>(() => CgroupLayout.FromMountInfo("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", CgroupVersionPreference.Auto));
    }

    [Fact]
    public void FromMountInfo_HybridForcedV2_UsesUnified()
    {
        CgroupLayout layout = CgroupLayout.FromMountInfo(Hybrid, CgroupVersionPreference.V2);
        Assert.True(layout.UsesV2);
        Assert.Equal("/sys/fs/cgroup/unified", layout.PrimaryRoot);
    }

    [Fact]
    public void Parse_GarbageLine_NamesFileAndLine()
    {
        var ex = Assert.Throws<CgroupFormatException>(() => MountInfo.Parse("22 1 8:1 / / rw - ext4 /dev/sda1 rw\nnot a mountinfo line\n", "/proc/self/mountinfo"));
        Assert.StartsWith("/proc/self/mountinfo line 2: 'not a mountinfo line'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OptionalFields_SkippedUntilSeparator()
    {
        List<MountEntry> entries = MountInfo.Parse("90 22 8:17 /sub /mnt/a rw,relatime shared:40 master:3 propagate_from:2 - cgroup cgroup rw,cpu,cpuacct\n", "m");
        MountEntry e = Assert.Single(entries);
        Assert.Equal("/sub", e.Root);
        Assert.Equal("cgroup", e.FileSystemType);
        Assert.Equal(["cpu", "cpuacct"], e.Controllers);
    }

    [SkippableFact]
    public void Detect_RealHost_FindsAHierarchy()
    {
        using var fs = new IO.CgroupFileSystem("/");
        Skip.IfNot(File.Exists("/proc/self/mountinfo"));
        CgroupLayout layout = CgroupLayout.Detect(fs, CgroupVersionPreference.Auto);
        Assert.NotEqual(CgroupMode.None, layout.Mode);
        Assert.True(Directory.Exists(layout.PrimaryRoot));
    }
}
