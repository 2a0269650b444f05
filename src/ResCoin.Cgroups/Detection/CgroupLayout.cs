using System.Text;
using ResCoin.Cgroups.IO;

namespace ResCoin.Cgroups.Detection;

/// <summary>Where the cgroup hierarchies are mounted and which version ResCoin uses on this host.</summary>
internal sealed class CgroupLayout
{
    /// <summary>The mountinfo file read for detection.</summary>
    public const string MountInfoPath = "/proc/self/mountinfo";

    private static readonly string[] s_controllers = ["cpu", "cpuacct", "cpuset", "memory", "blkio"];
    private readonly Dictionary<string, string> _v1 = new(StringComparer.Ordinal);

    private CgroupLayout()
    {
    }

    /// <summary>How cgroups are mounted.</summary>
    public CgroupMode Mode { get; private set; }

    /// <summary>Whether the monitor and actuator use the v2 files (else v1).</summary>
    public bool UsesV2 { get; private set; }

    /// <summary>The cgroup2 mount point, when mounted.</summary>
    public string? UnifiedMount { get; private set; }

    /// <summary>
    /// The hierarchy whose directories define the set of cgroups (glob patterns are expanded there):
    /// v2: the unified mount; v1: cpuacct, else cpu, else memory, else blkio.
    /// </summary>
    public string PrimaryRoot => UsesV2 ? UnifiedMount! :
        V1Root("cpuacct") ?? V1Root("cpu") ?? V1Root("memory") ?? V1Root("blkio")!;

    /// <summary>The mount point holding a controller's files (v2: the unified mount), or null when not mounted.</summary>
    public string? ControllerRoot(string controller) => UsesV2 ? UnifiedMount : V1Root(controller);

    /// <summary>The v1 mount point of a controller, or null.</summary>
    public string? V1Root(string controller) => _v1.TryGetValue(controller, out string? root) ? root : null;

    /// <summary>Reads <c>/proc/self/mountinfo</c> through the seam and detects the layout.</summary>
    public static CgroupLayout Detect(ICgroupFileSystem fileSystem, CgroupVersionPreference preference)
    {
        byte[] buffer = new byte[16 * 1024];
        int n = fileSystem.ReadAll(MountInfoPath, ref buffer);
        if (n < 0)
        {
            throw new InvalidOperationException($"{MountInfoPath} does not exist: cannot find the cgroup hierarchies.");
        }

        return FromMountInfo(Encoding.UTF8.GetString(buffer, 0, n), preference, MountInfoPath, fileSystem);
    }

    /// <summary>Detects the layout from mountinfo text.</summary>
    /// <param name="mountInfo">The text of <c>/proc/self/mountinfo</c>.</param>
    /// <param name="preference">Which version to use.</param>
    /// <param name="path">The file name for error messages.</param>
    /// <param name="fileSystem">When given, used to check that a v2 hierarchy has the cpu and memory controllers (<c>cgroup.controllers</c>).</param>
    public static CgroupLayout FromMountInfo(string mountInfo, CgroupVersionPreference preference, string path = MountInfoPath, ICgroupFileSystem? fileSystem = null)
    {
        var layout = new CgroupLayout();
        bool anyV1 = false;
        bool unifiedAtRoot = false;
        foreach (MountEntry e in MountInfo.Parse(mountInfo, path))
        {
            if (e.FileSystemType == "cgroup2")
            {
                // Prefer a mount of the hierarchy's root (containers may bind-mount sub-trees elsewhere).
                if (layout.UnifiedMount is null || (e.Root == "/" && !unifiedAtRoot))
                {
                    layout.UnifiedMount = e.MountPoint;
                    unifiedAtRoot = e.Root == "/";
                }
            }
            else if (e.FileSystemType == "cgroup")
            {
                anyV1 = true;
                foreach (string controller in e.Controllers)
                {
                    if (Array.IndexOf(s_controllers, controller) >= 0)
                    {
                        layout._v1.TryAdd(controller, e.MountPoint);
                    }
                }
            }
        }

        layout.Mode = (anyV1, layout.UnifiedMount is not null) switch
        {
            (true, true) => CgroupMode.Hybrid,
            (true, false) => CgroupMode.V1,
            (false, true) => CgroupMode.V2,
            _ => CgroupMode.None,
        };

        bool v1Usable = layout._v1.ContainsKey("cpu") || layout._v1.ContainsKey("cpuacct") || layout._v1.ContainsKey("memory");
        layout.UsesV2 = preference switch
        {
            CgroupVersionPreference.V1 => v1Usable ? false : throw new InvalidOperationException(
                $"cgroup v1 was requested but {path} shows no v1 cpu, cpuacct or memory hierarchy (mode: {layout.Mode})."),
            CgroupVersionPreference.V2 => layout.UnifiedMount is not null ? true : throw new InvalidOperationException(
                $"cgroup v2 was requested but {path} shows no cgroup2 mount (mode: {layout.Mode})."),
            _ => layout.Mode switch
            {
                CgroupMode.V2 => true,
                CgroupMode.V1 => false,
                CgroupMode.Hybrid => !v1Usable && V2HasControllers(layout.UnifiedMount!, fileSystem),
                _ => throw new InvalidOperationException($"No cgroup hierarchy is mounted (read {path})."),
            },
        };

        if (layout.Mode == CgroupMode.Hybrid && !layout.UsesV2 && !v1Usable)
        {
            throw new InvalidOperationException($"{path}: neither the v1 hierarchies nor the v2 hierarchy at {layout.UnifiedMount} hold the cpu and memory controllers.");
        }

        return layout;
    }

    private static bool V2HasControllers(string unified, ICgroupFileSystem? fileSystem)
    {
        if (fileSystem is null)
        {
            return true;
        }

        byte[] buffer = new byte[256];
        int n = fileSystem.ReadAll(unified + "/cgroup.controllers", ref buffer);
        if (n <= 0)
        {
            return false;
        }

        string text = Encoding.UTF8.GetString(buffer, 0, n);
        string[] names = text.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return Array.IndexOf(names, "cpu") >= 0 || Array.IndexOf(names, "memory") >= 0;
    }
}
