using System.Text;
using ResCoin.Cgroups.IO;

namespace ResCoin.Cgroups.Tests;

public sealed class CgroupFileSystemTests : IDisposable
{
    private readonly FixtureTree _tree = FixtureTree.Empty();

    public void Dispose() => _tree.Dispose();

    [Theory]
    [InlineData(8192)]
    [InlineData(0)] // no handle kept: opened per read
    public void OpenReader_ReadsCurrentContent_MissingIsMinusOne_GrowsBuffer(int maxHandles)
    {
        using var fs = new CgroupFileSystem(_tree.Root, maxHandles);
        const string path = "/sys/fs/cgroup/x/cpu.stat";
        using ICgroupFileReader reader = fs.OpenReader(path);
        Assert.Equal(path, reader.Path);
        byte[] buffer = new byte[8];

        Assert.Equal(-1, reader.Read(ref buffer)); // not there yet

        _tree.Write(path, "usage_usec 1\n");
        Assert.Equal("usage_usec 1\n", Text(reader, ref buffer));

        string big = string.Concat(Enumerable.Repeat("nr_periods 123456789\n", 50));
        _tree.Write(path, big);
        Assert.Equal(big, Text(reader, ref buffer));
        Assert.True(buffer.Length >= big.Length);

        _tree.Write(path, "usage_usec 2\n"); // shrinks in place
        Assert.Equal("usage_usec 2\n", Text(reader, ref buffer));
    }

    [Fact]
    public void OpenReader_Disposed_Throws()
    {
        using var fs = new CgroupFileSystem(_tree.Root);
        _tree.Write("/f", "1\n");
        ICgroupFileReader reader = fs.OpenReader("/f");
        byte[] buffer = new byte[16];
        Assert.Equal(2, reader.Read(ref buffer));
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.Read(ref buffer));
    }

    [Fact]
    public void OpenReader_DefaultOfTheSeam_GoesThroughReadAll()
    {
        using var inner = new CgroupFileSystem(_tree.Root);
        var counting = new CountingFileSystem(inner);
        _tree.Write("/g", "42\n");
        using ICgroupFileReader reader = ((ICgroupFileSystem)counting).OpenReader("/g");
        byte[] buffer = new byte[16];
        Assert.Equal(3, reader.Read(ref buffer));
        Assert.Equal(3, reader.Read(ref buffer));
        Assert.Equal(2, counting.Reads);
    }

    private static string Text(ICgroupFileReader reader, ref byte[] buffer)
    {
        int n = reader.Read(ref buffer);
        Assert.True(n >= 0);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    /// <summary>A seam without its own reader: counts the reads that reach it.</summary>
    private sealed class CountingFileSystem(ICgroupFileSystem inner) : ICgroupFileSystem
    {
        public int Reads { get; private set; }

        public int ReadAll(string path, ref byte[] buffer)
        {
            Reads++;
            return inner.ReadAll(path, ref buffer);
        }

        public void Write(string path, ReadOnlySpan<byte> content) => inner.Write(path, content);

        public bool FileExists(string path) => inner.FileExists(path);

        public bool DirectoryExists(string path) => inner.DirectoryExists(path);

        public IEnumerable<string> EnumerateDirectoryNames(string path) => inner.EnumerateDirectoryNames(path);

        public void Forget(string directory) => inner.Forget(directory);
    }
}
