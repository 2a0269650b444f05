using System.Text;
using ResCoin.Cgroups.IO;

namespace ResCoin.Cgroups.Tests;

/// <summary>A private copy of a fixture tree (Fixtures/v1, Fixtures/v2) in a temp directory, with the seam over it.</summary>
internal sealed class FixtureTree : IDisposable
{
    private FixtureTree(string root)
    {
        Root = root;
        FileSystem = new CgroupFileSystem(root);
    }

    public string Root { get; }

    public CgroupFileSystem FileSystem { get; }

    public static FixtureTree Copy(string name)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
        string root = Path.Combine(Path.GetTempPath(), $"rescoin-fixture-{name}-{Guid.NewGuid():N}");
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(root, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return new FixtureTree(root);
    }

    public static FixtureTree Empty()
    {
        string root = Path.Combine(Path.GetTempPath(), $"rescoin-fixture-empty-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        return new FixtureTree(root);
    }

    public string Physical(string logical) => Root + logical;

    /// <summary>Rewrites a file in place (same inode, as the kernel would change it).</summary>
    public void Write(string logical, string text)
    {
        string path = Physical(logical);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }

    public string Read(string logical) => File.ReadAllText(Physical(logical));

    public byte[] ReadBytes(string logical)
    {
        byte[] buffer = new byte[64];
        int n = FileSystem.ReadAll(logical, ref buffer);
        Assert.True(n >= 0, $"{logical} is missing");
        return buffer.AsSpan(0, n).ToArray();
    }

    public void Dispose()
    {
        FileSystem.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
