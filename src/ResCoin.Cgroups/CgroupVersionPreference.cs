namespace ResCoin.Cgroups;

/// <summary>Which cgroup version the monitor and actuator use.</summary>
public enum CgroupVersionPreference
{
    /// <summary>Detect from <c>/proc/self/mountinfo</c> (v2 when it has the cpu and memory controllers, else v1).</summary>
    Auto = 0,

    /// <summary>Use the v1 controller hierarchies.</summary>
    V1 = 1,

    /// <summary>Use the v2 unified hierarchy.</summary>
    V2 = 2,
}
