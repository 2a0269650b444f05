using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security;
using ResCoin.Libvirt.Native;
using ResCoin.Testing;

namespace ResCoin.Libvirt.Tests;

/// <summary>
/// Boots two tiny TCG guests (<c>type='qemu'</c>, 192 MiB, 1 vCPU) once for the whole collection against the real
/// qemu:///system: one burning a CPU, one idle with a tap NIC. Transient domains named <c>rescoin-test-*</c>, destroyed
/// on dispose (and any left over by a crashed run are destroyed on start). Needs root, libvirtd and
/// <c>scripts/setup-host.sh</c> (which builds artifacts/kvm/).
/// </summary>
public sealed class GuestFixture : IAsyncLifetime
{
    public const string Uri = "qemu:///system";
    public const string Prefix = "rescoin-test-";
    public const long MemoryKiB = 192 * 1024;

    private readonly string _tag = Guid.NewGuid().ToString("N")[..8];
    private string? _dir;

    public bool Available { get; private set; }

    public string Reason { get; private set; } = "not initialized";

    public string CpuGuest => Prefix + _tag + "-cpu";

    public string IdleGuest => Prefix + _tag + "-idle";

    public string WorkDir => _dir ?? throw new InvalidOperationException(Reason);

    public string RepoRoot { get; private set; } = string.Empty;

    public TimeSpan BootTime { get; private set; }

    public void Require() => Prerequisite.Require(Available, Reason);

    public static string? FindRepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "ResCoin.sln")))
            {
                return d.FullName;
            }
        }

        return null;
    }

    public async Task InitializeAsync()
    {
        string? root = FindRepoRoot();
        if (root is null)
        {
            Reason = "cannot find ResCoin.sln above the test assembly";
            return;
        }

        RepoRoot = root;
        string kvm = Path.Combine(root, "artifacts", "kvm");
        string kernel = Path.Combine(kvm, "vmlinuz");
        string initrd = Path.Combine(kvm, "initramfs.gz");
        if (!Environment.IsPrivilegedProcess)
        {
            Reason = "the real-VM tests need root (qemu:///system)";
            return;
        }

        if (!File.Exists(kernel) || !File.Exists(initrd))
        {
            Reason = "no test guest in artifacts/kvm: run scripts/setup-host.sh";
            return;
        }

        ConnectionHandle conn;
        try
        {
            conn = LibvirtApi.Open(Uri);
        }
        catch (Exception ex) when (ex is LibvirtException or DllNotFoundException)
        {
            Reason = $"cannot connect to {Uri} (run scripts/setup-host.sh): {ex.Message}";
            return;
        }

        using (conn)
        {
            DestroyLeftovers(conn, Prefix);
            _dir = Directory.CreateTempSubdirectory("rescoin-kvm-").FullName;
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
            }
            var sw = Stopwatch.StartNew();
            foreach ((string name, string work, bool nic) in new[] { (CpuGuest, "cpu", false), (IdleGuest, "idle", true) })
            {
                string disk = Path.Combine(_dir, name + ".raw");
                using (FileStream f = File.Create(disk))
                {
                    f.SetLength(16 * 1024 * 1024);
                }

                string xml = DomainXml(name, kernel, initrd, disk, Path.Combine(_dir, name + ".log"), work, nic);
                using DomainHandle dom = NativeMethods.virDomainCreateXML(conn, xml, 0);
                if (dom.IsInvalid)
                {
                    Reason = LibvirtApi.LastError($"virDomainCreateXML({name})").Message;
                    return;
                }
            }

            // Both guests boot in parallel; wait for their /init to say it is ready and for balloon stats.
            foreach (string name in new[] { CpuGuest, IdleGuest })
            {
                string log = Path.Combine(_dir, name + ".log");
                var deadline = Stopwatch.StartNew();
                while (!(File.Exists(log) && (await File.ReadAllTextAsync(log)).Contains("rescoin-guest: ready", StringComparison.Ordinal)))
                {
                    if (deadline.Elapsed > TimeSpan.FromSeconds(240))
                    {
                        Reason = $"guest {name} did not boot within 240 s (console: {log})";
                        return;
                    }

                    await Task.Delay(250);
                }
            }

            BootTime = sw.Elapsed;
        }

        Available = true;
        Reason = string.Empty;
    }

    public Task DisposeAsync()
    {
        try
        {
            using ConnectionHandle conn = LibvirtApi.Open(Uri);
            DestroyLeftovers(conn, Prefix + _tag);
        }
        catch (Exception ex) when (ex is LibvirtException or DllNotFoundException)
        {
            // Nothing was created.
        }

        if (_dir is not null)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return Task.CompletedTask;
    }

    private static void DestroyLeftovers(ConnectionHandle conn, string prefix)
    {
        foreach (string name in LibvirtApi.ListRunningDomainNames(conn))
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                try
                {
                    using DomainHandle d = LibvirtApi.Lookup(conn, name);
                    _ = NativeMethods.virDomainDestroy(d);
                }
                catch (LibvirtException)
                {
                }
            }
        }
    }

    private static string DomainXml(string name, string kernel, string initrd, string disk, string log, string work, bool nic)
    {
        static string E(string s) => SecurityElement.Escape(s);
        string iface = nic ? "<interface type='ethernet'><model type='virtio'/></interface>" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"""
            <domain type='qemu'>
              <name>{E(name)}</name>
              <memory unit='KiB'>{MemoryKiB}</memory>
              <currentMemory unit='KiB'>{MemoryKiB}</currentMemory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type>
                <kernel>{E(kernel)}</kernel><initrd>{E(initrd)}</initrd>
                <cmdline>console=ttyS0 quiet rescoin.work={work}</cmdline></os>
              <on_poweroff>destroy</on_poweroff><on_crash>destroy</on_crash>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{E(disk)}'/><target dev='vda' bus='virtio'/></disk>
                {iface}
                <serial type='file'><source path='{E(log)}'/><target port='0'/></serial>
                <memballoon model='virtio'><stats period='1'/></memballoon>
              </devices>
            </domain>
            """);
    }
}

[CollectionDefinition(Name)]
public sealed class KvmGuests : ICollectionFixture<GuestFixture>
{
    public const string Name = "kvm";
}
