namespace ResCoin.Cgroups;

/// <summary>How cgroups are mounted on a host (found from <c>/proc/self/mountinfo</c>).</summary>
public enum CgroupMode
{
    /// <summary>No cgroup hierarchy is mounted.</summary>
    None = 0,

    /// <summary>cgroup v1 only: one hierarchy per controller (or per group of co-mounted controllers).</summary>
    V1 = 1,

    /// <summary>cgroup v2 only: the unified hierarchy holds every controller.</summary>
    V2 = 2,

    /// <summary>
    /// Both: v1 controller hierarchies plus a v2 hierarchy (often at <c>/sys/fs/cgroup/unified</c>). The controllers ResCoin
    /// uses (cpu, cpuacct, memory, blkio) are taken from v1 where mounted there; PSI files are read from the v2 hierarchy when present.
    /// </summary>
    Hybrid = 3,
}
