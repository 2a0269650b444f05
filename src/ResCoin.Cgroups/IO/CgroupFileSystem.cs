using Microsoft.Win32.SafeHandles;

namespace ResCoin.Cgroups.IO;

/// <summary>
/// The real implementation of <see cref="ICgroupFileSystem"/>, optionally under a root prefix.
/// With root <c>/</c> it is the host itself; with a directory it is a fixture tree laid out like the host
/// (<c>ROOT/proc/self/mountinfo</c>, <c>ROOT/sys/fs/cgroup/...</c>), which is what the tests and benchmarks use.
/// </summary>
/// <remarks>
/// Reads keep a handle per file and re-read it with <c>pread(fd, buf, 0)</c>: kernfs and /proc regenerate
/// their content when read from offset 0, and one syscall per file is what makes 1 000 cgroups cheap.
/// A cgroup that is removed makes its open files fail with ENODEV; the handle is dropped and -1 returned.
/// The monitor's counters go through <see cref="OpenReader"/>: each reader owns its handle, so a read needs no lookup by
/// path and no lock. Thread-safe (a reader is used by one thread at a time).
/// </remarks>
internal sealed class CgroupFileSystem : ICgroupFileSystem, IDisposable
{
    private const int Enoent = 2;
    private const int Enodev = 19;
    private readonly string _root;
    private readonly Dictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _mapped = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly int _maxCachedHandles;
    private int _readerHandles;

    /// <summary>Creates a file system view.</summary>
    /// <param name="root">The root directory: <c>/</c> (or empty) for the host, a directory for a fixture tree.</param>
    /// <param name="maxCachedHandles">The most file handles kept open; beyond it files are opened per read.</param>
    public CgroupFileSystem(string root = "/", int maxCachedHandles = 8192)
    {
        ArgumentNullException.ThrowIfNull(root);
        root = root.TrimEnd('/');
        _root = root.Length == 0 ? string.Empty : Path.GetFullPath(root).TrimEnd('/');
        _maxCachedHandles = maxCachedHandles;
    }

    /// <summary>Whether this is a fixture tree (a root other than <c>/</c>).</summary>
    public bool IsFixture => _root.Length > 0;

    /// <inheritdoc/>
    public int ReadAll(string path, ref byte[] buffer)
    {
        lock (_lock)
        {
            bool cached = _handles.TryGetValue(path, out SafeFileHandle? handle);
            if (!cached)
            {
                handle = OpenRead(Map(path));
                if (handle is null)
                {
                    return -1;
                }
            }

            try
            {
                int total = ReadWhole(handle!, ref buffer);
                if (!cached && _handles.Count < _maxCachedHandles)
                {
                    _handles.Add(path, handle!);
                    cached = true;
                }

                return total;
            }
            catch (IOException ex) when (IsGone(ex))
            {
                if (cached)
                {
                    _handles.Remove(path);
                }

                handle!.Dispose();
                cached = true; // disposed already
                return -1;
            }
            finally
            {
                if (!cached)
                {
                    handle!.Dispose();
                }
            }
        }
    }

    /// <inheritdoc/>
    public ICgroupFileReader OpenReader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new FileReader(this, path, MapLocked(path));
    }

    /// <inheritdoc/>
    public void Write(string path, ReadOnlySpan<byte> content)
    {
        string physical;
        lock (_lock)
        {
            physical = Map(path);
        }

        // No O_CREAT: a missing cgroup file is an error, never a new regular file.
        using SafeFileHandle handle = File.OpenHandle(physical, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        RandomAccess.Write(handle, content, 0);
        if (IsFixture && RandomAccess.GetLength(handle) != content.Length)
        {
            // Fixture files are regular files: drop the old tail. (cgroupfs replaces the value on every write.)
            RandomAccess.SetLength(handle, content.Length);
        }
    }

    /// <inheritdoc/>
    public bool FileExists(string path) => File.Exists(MapLocked(path));

    /// <inheritdoc/>
    public bool DirectoryExists(string path) => Directory.Exists(MapLocked(path));

    /// <inheritdoc/>
    public IEnumerable<string> EnumerateDirectoryNames(string path)
    {
        string physical = MapLocked(path);
        if (!Directory.Exists(physical))
        {
            return [];
        }

        try
        {
            var names = new List<string>();
            foreach (string dir in Directory.EnumerateDirectories(physical))
            {
                names.Add(Path.GetFileName(dir));
            }

            return names;
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <inheritdoc/>
    public void Forget(string directory)
    {
        string prefix = directory.EndsWith('/') ? directory : directory + "/";
        lock (_lock)
        {
            List<string>? gone = null;
            foreach (KeyValuePair<string, SafeFileHandle> e in _handles)
            {
                if (e.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    (gone ??= []).Add(e.Key);
                }
            }

            if (gone is null)
            {
                return;
            }

            foreach (string key in gone)
            {
                _handles.Remove(key, out SafeFileHandle? h);
                h?.Dispose();
                _mapped.Remove(key);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (SafeFileHandle h in _handles.Values)
            {
                h.Dispose();
            }

            _handles.Clear();
            _mapped.Clear();
        }
    }

    /// <summary>Reads a whole file from offset 0 (pread), growing the buffer while it comes back full.</summary>
    private static int ReadWhole(SafeFileHandle handle, ref byte[] buffer)
    {
        int total = 0;
        while (true)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(total), total);
            total += n;
            if (total < buffer.Length)
            {
                return total;
            }

            // A full buffer may mean more content: grow (a one-time cost) and read on.
            Array.Resize(ref buffer, buffer.Length * 2);
        }
    }

    private static SafeFileHandle? OpenRead(string physical)
    {
        try
        {
            // FileShare.ReadWrite: no advisory lock on kernfs files.
            return File.OpenHandle(physical, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException || ex is IOException io && IsGone(io))
        {
            return null;
        }
    }

    private static bool IsGone(IOException ex)
        => ex is FileNotFoundException or DirectoryNotFoundException || ex.HResult is Enoent or Enodev;

    private string MapLocked(string path)
    {
        lock (_lock)
        {
            return Map(path);
        }
    }

    private string Map(string path)
    {
        if (_root.Length == 0)
        {
            return path;
        }

        if (!_mapped.TryGetValue(path, out string? physical))
        {
            physical = string.Concat(_root, path.StartsWith('/') ? path : "/" + path);
            if (_mapped.Count < 4 * _maxCachedHandles)
            {
                _mapped.Add(path, physical);
            }
        }

        return physical;
    }

    /// <summary>A file kept open (up to the handle limit) and re-read with one pread per <see cref="Read"/>.</summary>
    private sealed class FileReader(CgroupFileSystem owner, string path, string physical) : ICgroupFileReader
    {
        private SafeFileHandle? _handle;
        private bool _disposed;

        public string Path { get; } = path;

        public int Read(ref byte[] buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            SafeFileHandle? handle = _handle;
            bool keep = true;
            if (handle is null)
            {
                handle = OpenRead(physical);
                if (handle is null)
                {
                    return -1;
                }

                keep = Interlocked.Increment(ref owner._readerHandles) <= owner._maxCachedHandles;
                if (keep)
                {
                    _handle = handle;
                }
                else
                {
                    Interlocked.Decrement(ref owner._readerHandles);
                }
            }

            try
            {
                return ReadWhole(handle, ref buffer);
            }
            catch (IOException ex) when (IsGone(ex))
            {
                // The cgroup went away: drop the handle; a later read reopens the path (the cgroup may be recreated).
                Release();
                keep = false;
                return -1;
            }
            finally
            {
                if (!keep)
                {
                    handle.Dispose();
                }
            }
        }

        public void Dispose()
        {
            _disposed = true;
            Release();
        }

        private void Release()
        {
            if (_handle is not null)
            {
                _handle.Dispose();
                _handle = null;
                Interlocked.Decrement(ref owner._readerHandles);
            }
        }
    }
}
