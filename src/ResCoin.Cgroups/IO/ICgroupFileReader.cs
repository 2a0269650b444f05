namespace ResCoin.Cgroups.IO;

/// <summary>
/// One file that is read whole, again and again (a monitored cgroup's counter file): the hot path of the monitor.
/// <see cref="CgroupFileSystem"/> keeps the file open and re-reads it with one <c>pread(fd, buf, 0)</c>, with no lookup by
/// path and no lock, so several threads may read different files at once. One reader is used by one thread at a time.
/// </summary>
internal interface ICgroupFileReader : IDisposable
{
    /// <summary>The logical path (what error messages name).</summary>
    string Path { get; }

    /// <summary>Reads the whole file into <paramref name="buffer"/> from offset 0, growing the buffer when the file does not fit.</summary>
    /// <param name="buffer">The buffer, replaced by a larger one when needed.</param>
    /// <returns>The number of bytes read, or -1 when the file (or its cgroup) does not exist.</returns>
    int Read(ref byte[] buffer);
}

/// <summary>The reader of a file system that has no faster way: every read goes through <see cref="ICgroupFileSystem.ReadAll"/>.</summary>
internal sealed class PathFileReader(ICgroupFileSystem fileSystem, string path) : ICgroupFileReader
{
    /// <inheritdoc/>
    public string Path { get; } = path;

    /// <inheritdoc/>
    public int Read(ref byte[] buffer) => fileSystem.ReadAll(Path, ref buffer);

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
