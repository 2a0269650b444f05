namespace ResCoin.Cgroups.IO;

/// <summary>
/// The one seam between ResCoin.Cgroups and the file system: every cgroup, /proc and /sys file is read and written
/// through it, so parsers run on fixture trees in tests and on the real hierarchy in production.
/// Paths are logical absolute paths as the host sees them (e.g. <c>/sys/fs/cgroup/cpu/x/cpu.shares</c>).
/// </summary>
internal interface ICgroupFileSystem
{
    /// <summary>
    /// Reads the whole file into <paramref name="buffer"/> (from offset 0), growing the buffer when the file does not fit.
    /// Steady state allocates nothing: implementations may keep the file open and re-read it with pread.
    /// </summary>
    /// <param name="path">The logical path.</param>
    /// <param name="buffer">The buffer, replaced by a larger one when needed.</param>
    /// <returns>The number of bytes read, or -1 when the file (or its cgroup) does not exist.</returns>
    int ReadAll(string path, ref byte[] buffer);

    /// <summary>
    /// A reader for a file that will be read every period (the monitor's counters). The file need not exist yet:
    /// each <see cref="ICgroupFileReader.Read"/> returns -1 while it does not. The caller disposes the reader.
    /// </summary>
    /// <param name="path">The logical path.</param>
    /// <returns>The reader; by default one that calls <see cref="ReadAll"/> with the path.</returns>
    ICgroupFileReader OpenReader(string path) => new PathFileReader(this, path);

    /// <summary>Writes <paramref name="content"/> to an existing file in one write call (cgroup files need the whole value at once).</summary>
    /// <param name="path">The logical path.</param>
    /// <param name="content">The bytes.</param>
    /// <exception cref="IOException">The write failed (the message carries the OS error, e.g. EINVAL or ENOENT).</exception>
    void Write(string path, ReadOnlySpan<byte> content);

    /// <summary>Whether a file exists.</summary>
    /// <param name="path">The logical path.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    bool FileExists(string path);

    /// <summary>Whether a directory exists.</summary>
    /// <param name="path">The logical path.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    bool DirectoryExists(string path);

    /// <summary>The names (not paths) of the sub-directories of a directory; empty when it does not exist.</summary>
    /// <param name="path">The logical path.</param>
    /// <returns>The names.</returns>
    IEnumerable<string> EnumerateDirectoryNames(string path);

    /// <summary>Releases any cached state (open handles) for files under a directory that went away.</summary>
    /// <param name="directory">The logical directory path.</param>
    void Forget(string directory);
}
