using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace ResCoin.Actuation;

/// <summary>
/// The file operations the journal needs and .NET does not expose: <c>open</c> with <c>O_EXCL|O_NOFOLLOW</c>,
/// <c>fsync</c> of a directory, <c>flock</c>. Linux only (the journal's hosts); errors become <see cref="IOException"/>
/// naming the file and the errno.
/// </summary>
internal static unsafe partial class JournalFiles
{
    private const string Libc = "libc";
    private const int ORdOnly = 0;
    private const int OWrOnly = 1;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int ODirectory = 0x10000;
    private const int ONoFollow = 0x20000;
    private const int OCloexec = 0x80000;
    private const int LockEx = 2;
    private const int LockNb = 4;
    private const int LockUn = 8;
    private const int EIntr = 4;
    internal const int EWouldBlock = 11;

    /// <summary>A test seam: called with a point name ("temp-written", "renamed", "synced") inside <see cref="WriteAtomically"/>.</summary>
    internal static Action<string>? FaultHook { get; set; }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/> durably: a temporary file with a unique name is
    /// created with <c>O_CREAT|O_EXCL|O_NOFOLLOW</c> (mode 0600) in the same directory, written, fsynced, renamed over the
    /// file, and the directory is fsynced. A planted file or symlink at the temporary name makes the write fail, never
    /// follow it. On failure the temporary file is removed and the old file is left as it was.
    /// </summary>
    internal static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        string dir = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + ".tmp");
        int fd = Open(temp, OWrOnly | OCreat | OExcl | ONoFollow | OCloexec, 0x180);
        bool renamed = false;
        try
        {
            try
            {
                WriteAll(fd, content, temp);
                Check(fsync(fd), "fsync", temp);
            }
            finally
            {
                _ = close(fd);
            }

            FaultHook?.Invoke("temp-written");
            Check(rename(temp, path), "rename", path);
            renamed = true;
            FaultHook?.Invoke("renamed");
            SyncDirectory(dir);
            FaultHook?.Invoke("synced");
        }
        finally
        {
            if (!renamed)
            {
                _ = unlink(temp);
            }
        }
    }

    /// <summary>Deletes the temporary files a crashed writer of <paramref name="path"/> left behind (call with the lock held).</summary>
    internal static void RemoveStaleTemporaries(string path)
    {
        string dir = Path.GetDirectoryName(path)!;
        foreach (string temp in Directory.EnumerateFiles(dir, "." + Path.GetFileName(path) + ".*.tmp"))
        {
            _ = unlink(temp);
        }
    }

    /// <summary>fsyncs a directory (after a rename in it, so the new name is durable).</summary>
    internal static void SyncDirectory(string dir)
    {
        int fd = Open(dir, ORdOnly | ODirectory | OCloexec, 0);
        try
        {
            Check(fsync(fd), "fsync", dir);
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>
    /// Opens (creating, mode 0600, never following a symlink) the lock file and takes an exclusive <c>flock</c> without
    /// waiting. Returns the descriptor, or -1 with the holder's PID (from the file; 0 when unknown) when another
    /// process holds it.
    /// </summary>
    internal static int TryLock(string lockPath, out int holderPid)
    {
        holderPid = 0;
        // The lock is held on a read-only descriptor (flock does not need write access), so the journal's file system
        // can still be remounted read-only while the daemon runs; the PID is written through a short-lived one.
        int fd = Open(lockPath, ORdOnly | OCreat | ONoFollow | OCloexec, 0x180);
        while (true)
        {
            if (flock(fd, LockEx | LockNb) == 0)
            {
                break;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr)
            {
                continue;
            }

            _ = close(fd);
            if (errno == EWouldBlock)
            {
                holderPid = ReadPid(lockPath);
                return -1;
            }

            throw Error("flock", lockPath, errno);
        }

        // Record the owner for the next one who finds the lock taken.
        byte[] pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        int w = open(lockPath, OWrOnly | ONoFollow | OCloexec, 0);
        if (w < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ = close(fd);
            throw Error("open", lockPath, errno);
        }

        try
        {
            if (ftruncate(w, 0) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                _ = close(fd);
                throw Error("ftruncate", lockPath, errno);
            }

            fixed (byte* b = pid)
            {
                _ = pwrite(w, b, (nuint)pid.Length, 0);
            }
        }
        finally
        {
            _ = close(w);
        }

        return fd;
    }

    /// <summary>Releases and closes a lock taken by <see cref="TryLock"/>.</summary>
    internal static void Unlock(int fd)
    {
        _ = flock(fd, LockUn);
        _ = close(fd);
    }

    // Read with libc, not File.ReadAllText: .NET takes a shared flock on files it opens, which the holder's lock refuses.
    private static int ReadPid(string lockPath)
    {
        int fd = open(lockPath, ORdOnly | ONoFollow | OCloexec, 0);
        if (fd < 0)
        {
            return 0;
        }

        try
        {
            byte* buffer = stackalloc byte[32];
            nint n = pread(fd, buffer, 32, 0);
            if (n <= 0)
            {
                return 0;
            }

            ReadOnlySpan<byte> text = new ReadOnlySpan<byte>(buffer, (int)n).Trim("\n\r\t "u8);
            return System.Buffers.Text.Utf8Parser.TryParse(text, out int pid, out int used) && used == text.Length ? pid : 0;
        }
        finally
        {
            _ = close(fd);
        }
    }

    private static int Open(string path, int flags, int mode)
    {
        while (true)
        {
            int fd = open(path, flags, mode);
            if (fd >= 0)
            {
                return fd;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                throw Error("open", path, errno);
            }
        }
    }

    private static void WriteAll(int fd, ReadOnlySpan<byte> content, string path)
    {
        fixed (byte* start = content)
        {
            int done = 0;
            while (done < content.Length)
            {
                nint n = write(fd, start + done, (nuint)(content.Length - done));
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr)
                    {
                        continue;
                    }

                    throw Error("write", path, errno);
                }

                done += (int)n;
            }
        }
    }

    private static void Check(int result, string operation, string path)
    {
        if (result != 0)
        {
            throw Error(operation, path, Marshal.GetLastPInvokeError());
        }
    }

    private static IOException Error(string operation, string path, int errno)
        => new($"{operation} {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    private static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Libc, EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Libc, EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int ftruncate(int fd, long length);

    [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport(Libc, EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport(Libc, EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string from, string to);

    [LibraryImport(Libc, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unlink(string path);
}
