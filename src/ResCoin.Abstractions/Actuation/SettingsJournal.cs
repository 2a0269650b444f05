using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace ResCoin.Actuation;

/// <summary>One original setting recorded before an actuator first changed it.</summary>
/// <param name="Vm">The VM (or cgroup); carries the VM's UUID when the actuator knows it.</param>
/// <param name="Setting">The actuator's key for the setting (e.g. <c>cpu.global_quota</c>, <c>blkio:vda:write_bytes_sec</c>).</param>
/// <param name="OriginalValue">The value in force before the first change, as the actuator formats it.</param>
public readonly record struct JournalEntry(VmId Vm, string Setting, string OriginalValue);

/// <summary>
/// A durable record of the original value of every setting an actuator changed, so that a stop, or the next start after a
/// crash, can put every VM back as it was.
/// </summary>
/// <remarks>
/// <para>One owner: <see cref="Open(string, SettingsJournalOptions?)"/> takes an exclusive <c>flock</c> on
/// <c>&lt;journal&gt;.lock</c> (which holds the owner's PID); a second process fails at once with
/// <see cref="SettingsJournalLockedException"/> naming the holder. Opening the same journal again in the same process shares
/// the lock.</para>
/// <para>Exact originals: an entry is keyed by the VM's UUID when it has one (else its name) and the setting; the first
/// value recorded is kept until the entry is removed, whatever is recorded later.</para>
/// <para>Durable before the change: <see cref="TryRecordOriginal"/> returns only after the new journal is on disk (a
/// temporary file created <c>O_EXCL|O_NOFOLLOW</c> with a unique name, fsynced, renamed over the journal, directory
/// fsynced); when that fails it throws <see cref="IOException"/> and remembers nothing, so the caller must not make the
/// change. A missing directory is created mode 0700; a directory others can write to (without the sticky bit) is refused.</para>
/// <para>A zero-length, corrupt or oversized journal is never read as "nothing to restore": it is renamed aside with a
/// timestamp (<see cref="QuarantinedFile"/>, <see cref="QuarantineReason"/>), every complete entry that can still be
/// read from it is kept, and the actuator reports it loudly.</para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class SettingsJournal : IDisposable
{
    /// <summary>The default time a journaled VM that disappeared is kept (see <see cref="SettingsJournalOptions.MissingVmRetention"/>).</summary>
    public static readonly TimeSpan DefaultMissingVmRetention = TimeSpan.FromDays(7);

    /// <summary>The default largest journal file read (see <see cref="SettingsJournalOptions.MaxFileBytes"/>).</summary>
    public const long DefaultMaxFileBytes = 16 * 1024 * 1024;

    private const string Format = "rescoin-settings-journal";
    private const int FormatVersion = 2;
    private static readonly Dictionary<string, (int Fd, int References)> s_locks = new(StringComparer.Ordinal);
    private static readonly Lock s_locksLock = new();

    private readonly Dictionary<(Guid Uuid, string Name, string Setting), string> _entries = [];
    private readonly Dictionary<(Guid Uuid, string Name), (string Name, DateTimeOffset Since)> _missing = [];
    private readonly Dictionary<Guid, string> _names = [];
    private readonly Lock _lock = new();
    private readonly SettingsJournalOptions _options;
    private readonly string _lockPath;
    private bool _disposed;

    private SettingsJournal(string path, SettingsJournalOptions options)
    {
        FilePath = path;
        _options = options;
        _lockPath = path + ".lock";
    }

    /// <summary>The journal file.</summary>
    public string FilePath { get; }

    /// <summary>The lock file next to the journal (an exclusive <c>flock</c> held while the journal is open; holds the owner's PID).</summary>
    public string LockFilePath => _lockPath;

    /// <summary>Whether the journal's directory is accessible to its owner only (0700 or stricter).</summary>
    public bool IsDirectoryPrivate { get; private set; }

    /// <summary>When the journal found on open was zero-length, corrupt or too large: where it was moved; else null.</summary>
    public string? QuarantinedFile { get; private set; }

    /// <summary>Why the journal was quarantined (null when it was not).</summary>
    public string? QuarantineReason { get; private set; }

    /// <summary>The number of recorded settings.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Opens a journal with the default options (see <see cref="Open(string, SettingsJournalOptions?)"/>).</summary>
    /// <param name="path">The journal file.</param>
    /// <returns>The journal.</returns>
    public static SettingsJournal Open(string path) => Open(path, null);

    /// <summary>
    /// Opens a journal: takes the instance lock, then loads the entries a previous run left behind (after a crash), or
    /// starts an empty one. A zero-length, corrupt or oversized file is quarantined (see <see cref="QuarantinedFile"/>).
    /// </summary>
    /// <param name="path">The journal file; its directory is created (mode 0700) when missing.</param>
    /// <param name="options">The options (null = defaults).</param>
    /// <returns>The journal.</returns>
    /// <exception cref="SettingsJournalLockedException">Another process holds the journal.</exception>
    /// <exception cref="IOException">The directory or lock file cannot be used (the message names it).</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is writable by other users.</exception>
    public static SettingsJournal Open(string path, SettingsJournalOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SettingsJournalOptions();
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? "/";
        var journal = new SettingsJournal(full, options);
        journal.IsDirectoryPrivate = PrepareDirectory(dir);
        journal.AcquireLock();
        try
        {
            JournalFiles.RemoveStaleTemporaries(full);
            journal.Load();
        }
        catch
        {
            journal.Dispose();
            throw;
        }

        return journal;
    }

    /// <summary>
    /// Records <paramref name="originalValue"/> as the original of a setting unless one is recorded already, and makes it
    /// durable before returning. An existing entry is never overwritten.
    /// </summary>
    /// <param name="vm">The VM (keyed by its UUID when it has one, else by name).</param>
    /// <param name="setting">The setting's key.</param>
    /// <param name="originalValue">The value in force before the first change.</param>
    /// <returns><see langword="true"/> when the entry was new.</returns>
    /// <exception cref="IOException">The journal could not be written: nothing was recorded; do not make the change.</exception>
    public bool TryRecordOriginal(VmId vm, string setting, string originalValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(setting);
        ArgumentNullException.ThrowIfNull(originalValue);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = Key(vm, setting);
            if (_entries.ContainsKey(key))
            {
                return false;
            }

            _entries.Add(key, originalValue);
            if (vm.Uuid != Guid.Empty)
            {
                _names[vm.Uuid] = vm.Name;
            }

            try
            {
                Persist();
            }
            catch
            {
                _entries.Remove(key);
                throw;
            }

            return true;
        }
    }

    /// <summary>Whether an original is recorded for a setting.</summary>
    /// <param name="vm">The VM.</param>
    /// <param name="setting">The setting's key.</param>
    /// <param name="originalValue">The recorded value.</param>
    /// <returns><see langword="true"/> when recorded.</returns>
    public bool TryGetOriginal(VmId vm, string setting, out string originalValue)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(Key(vm, setting), out originalValue!);
        }
    }

    /// <summary>Whether any original is recorded for a VM.</summary>
    /// <param name="vm">The VM.</param>
    /// <returns><see langword="true"/> when at least one setting of the VM is journaled.</returns>
    public bool Contains(VmId vm)
    {
        lock (_lock)
        {
            (Guid uuid, string name) = VmKey(vm);
            foreach ((Guid Uuid, string Name, string Setting) k in _entries.Keys)
            {
                if (k.Uuid == uuid && k.Name == name)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A copy of every entry, sorted by VM name, UUID, then setting.</summary>
    /// <returns>The entries.</returns>
    public IReadOnlyList<JournalEntry> GetEntries()
    {
        lock (_lock)
        {
            var list = new List<JournalEntry>(_entries.Count);
            foreach (KeyValuePair<(Guid Uuid, string Name, string Setting), string> e in _entries)
            {
                list.Add(new JournalEntry(ToVmId(e.Key.Uuid, e.Key.Name), e.Key.Setting, e.Value));
            }

            list.Sort(static (a, b) =>
            {
                int c = a.Vm.CompareTo(b.Vm);
                if (c == 0)
                {
                    c = a.Vm.Uuid.CompareTo(b.Vm.Uuid);
                }

                return c != 0 ? c : string.CompareOrdinal(a.Setting, b.Setting);
            });
            return list;
        }
    }

    /// <summary>Forgets a setting (after it was restored) and persists the journal.</summary>
    /// <param name="vm">The VM.</param>
    /// <param name="setting">The setting's key.</param>
    /// <returns><see langword="true"/> when an entry was removed.</returns>
    /// <exception cref="IOException">The journal could not be written: the entry stays (on disk and here).</exception>
    public bool Remove(VmId vm, string setting)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = Key(vm, setting);
            if (!_entries.Remove(key, out string? value))
            {
                return false;
            }

            (Guid Uuid, string Name) vmKey = VmKey(vm);
            bool wasLast = !HasEntries(vmKey);
            bool hadMissing = false;
            (string, DateTimeOffset) missing = default;
            if (wasLast)
            {
                hadMissing = _missing.Remove(vmKey, out missing);
            }

            try
            {
                Persist();
            }
            catch
            {
                _entries[key] = value;
                if (hadMissing)
                {
                    _missing[vmKey] = missing;
                }

                throw;
            }

            return true;
        }
    }

    /// <summary>Forgets every setting of a VM (it no longer exists) and persists the journal.</summary>
    /// <param name="vm">The VM.</param>
    /// <returns>The number of entries removed.</returns>
    /// <exception cref="IOException">The journal could not be written: the entries stay.</exception>
    public int RemoveVm(VmId vm)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            (Guid uuid, string name) = VmKey(vm);
            var removed = new List<KeyValuePair<(Guid, string, string), string>>();
            foreach (KeyValuePair<(Guid Uuid, string Name, string Setting), string> e in _entries)
            {
                if (e.Key.Uuid == uuid && e.Key.Name == name)
                {
                    removed.Add(e);
                }
            }

            bool hadMissing = _missing.Remove((uuid, name), out (string, DateTimeOffset) missing);
            if (removed.Count == 0 && !hadMissing)
            {
                return 0;
            }

            foreach (KeyValuePair<(Guid, string, string), string> e in removed)
            {
                _entries.Remove(e.Key);
            }

            try
            {
                Persist();
            }
            catch
            {
                foreach (KeyValuePair<(Guid, string, string), string> e in removed)
                {
                    _entries[e.Key] = e.Value;
                }

                if (hadMissing)
                {
                    _missing[(uuid, name)] = missing;
                }

                throw;
            }

            return removed.Count;
        }
    }

    /// <summary>
    /// Notes that a journaled VM cannot be found (destroyed, undefined, not running). The first call records the time
    /// (durably); the entries are kept for <see cref="SettingsJournalOptions.MissingVmRetention"/> so that the VM, if it
    /// comes back with the same UUID, is still restored.
    /// </summary>
    /// <param name="vm">The VM.</param>
    /// <param name="missingFor">How long the VM has been missing (zero on the first call).</param>
    /// <returns><see langword="true"/> while the entries should be kept; <see langword="false"/> once the retention has
    /// passed (the caller drops them with <see cref="RemoveVm"/>).</returns>
    /// <exception cref="IOException">The journal could not be written.</exception>
    public bool MarkMissing(VmId vm, out TimeSpan missingFor)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            (Guid Uuid, string Name) key = VmKey(vm);
            DateTimeOffset now = _options.TimeProvider.GetUtcNow();
            if (_missing.TryGetValue(key, out (string Name, DateTimeOffset Since) m))
            {
                missingFor = now - m.Since;
                return missingFor < _options.MissingVmRetention;
            }

            missingFor = TimeSpan.Zero;
            _missing[key] = (vm.Name, now);
            try
            {
                Persist();
            }
            catch
            {
                _missing.Remove(key);
                throw;
            }

            return _options.MissingVmRetention > TimeSpan.Zero;
        }
    }

    /// <summary>Notes that a VM marked missing is back (its retention clock stops).</summary>
    /// <param name="vm">The VM.</param>
    /// <exception cref="IOException">The journal could not be written.</exception>
    public void ClearMissing(VmId vm)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            (Guid Uuid, string Name) key = VmKey(vm);
            if (_missing.Remove(key, out (string, DateTimeOffset) m))
            {
                try
                {
                    Persist();
                }
                catch
                {
                    _missing[key] = m;
                    throw;
                }
            }
        }
    }

    /// <summary>Releases the instance lock (the journal file stays).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        lock (s_locksLock)
        {
            if (s_locks.TryGetValue(_lockPath, out (int Fd, int References) l))
            {
                if (l.References <= 1)
                {
                    s_locks.Remove(_lockPath);
                    JournalFiles.Unlock(l.Fd);
                }
                else
                {
                    s_locks[_lockPath] = (l.Fd, l.References - 1);
                }
            }
        }
    }

    private static (Guid Uuid, string Name, string Setting) Key(VmId vm, string setting)
    {
        (Guid uuid, string name) = VmKey(vm);
        return (uuid, name, setting);
    }

    // With a UUID the name is not part of the identity (a renamed VM is the same VM); without one, the name is.
    private static (Guid Uuid, string Name) VmKey(VmId vm) => vm.Uuid != Guid.Empty ? (vm.Uuid, string.Empty) : (Guid.Empty, vm.Name);

    private VmId ToVmId(Guid uuid, string name)
    {
        if (uuid == Guid.Empty)
        {
            return new VmId(name);
        }

        // The name last seen for this UUID: stored with each entry as its value's companion.
        return new VmId(_names.TryGetValue(uuid, out string? n) ? n : uuid.ToString("D"), uuid);
    }

    private bool HasEntries((Guid Uuid, string Name) vm)
    {
        foreach ((Guid Uuid, string Name, string Setting) k in _entries.Keys)
        {
            if (k.Uuid == vm.Uuid && k.Name == vm.Name)
            {
                return true;
            }
        }

        return false;
    }

    private static bool PrepareDirectory(string dir)
    {
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The settings journal needs a Unix file system (flock, O_NOFOLLOW, directory fsync).");
        }

        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, Private);
        }

        UnixFileMode mode = File.GetUnixFileMode(dir);
        bool othersWrite = (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
        if (othersWrite && (mode & UnixFileMode.StickyBit) == 0)
        {
            throw new UnauthorizedAccessException($"{dir}: the settings journal's directory is writable by other users (mode {Convert.ToString((int)mode, 8)}); use a directory only its owner can write (0700).");
        }

        return (mode & (UnixFileMode)0b000_111_111) == 0;
    }

    private void AcquireLock()
    {
        lock (s_locksLock)
        {
            if (s_locks.TryGetValue(_lockPath, out (int Fd, int References) held))
            {
                s_locks[_lockPath] = (held.Fd, held.References + 1);
                return;
            }

            int fd = JournalFiles.TryLock(_lockPath, out int holder);
            if (fd < 0)
            {
                throw new SettingsJournalLockedException(_lockPath, holder);
            }

            s_locks[_lockPath] = (fd, 1);
        }
    }

    private void Load()
    {
        FileInfo info = new(FilePath);
        if (!info.Exists)
        {
            return;
        }

        if (info.LinkTarget is not null)
        {
            Quarantine("it is a symbolic link");
            return;
        }

        if (info.Length == 0)
        {
            Quarantine("it is empty (zero length): the originals it held are unknown");
            return;
        }

        byte[] bytes;
        string? problem = null;
        if (info.Length > _options.MaxFileBytes)
        {
            // Never read more than the limit; the complete entries within it are still recovered.
            problem = string.Create(CultureInfo.InvariantCulture, $"it is {info.Length} bytes, over the {_options.MaxFileBytes}-byte limit");
            bytes = new byte[_options.MaxFileBytes];
            using FileStream f = new(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            f.ReadExactly(bytes);
        }
        else
        {
            bytes = File.ReadAllBytes(FilePath);
        }

        string? parsed = Parse(bytes);
        problem = problem is null ? parsed : parsed is null ? problem : problem + "; " + parsed;
        if (problem is not null)
        {
            int salvaged = _entries.Count;
            Quarantine(problem + string.Create(CultureInfo.InvariantCulture, $"; {salvaged} complete entries were recovered from it"));
            if (salvaged > 0 || _missing.Count > 0)
            {
                Persist();
            }
        }
    }

    private void Quarantine(string reason)
    {
        string stamp = _options.TimeProvider.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string aside = FilePath + ".corrupt-" + stamp;
        for (int i = 1; File.Exists(aside) || Directory.Exists(aside); i++)
        {
            aside = FilePath + ".corrupt-" + stamp + "-" + i.ToString(CultureInfo.InvariantCulture);
        }

        File.Move(FilePath, aside);
        JournalFiles.SyncDirectory(Path.GetDirectoryName(FilePath)!);
        QuarantinedFile = aside;
        QuarantineReason = reason;
    }

    /// <summary>Reads the journal; returns null when it is whole, else what is wrong (keeping every complete entry).</summary>
    private string? Parse(byte[] bytes)
    {
        ReadOnlySpan<byte> text = bytes;
        // Version 1 was one JSON object (no "format" on its first line); read it whole.
        int firstEnd = text.IndexOf((byte)'\n');
        ReadOnlySpan<byte> firstLine = firstEnd < 0 ? text : text[..firstEnd];
        if (firstLine.IndexOf("\"format\""u8) < 0 && text.IndexOf("\"version\": 1"u8) >= 0)
        {
            return ParseVersion1(bytes);
        }

        int line = 0;
        bool header = false;
        int expected = -1;
        bool end = false;
        string? problem = null;
        while (!text.IsEmpty)
        {
            int n = text.IndexOf((byte)'\n');
            if (n < 0)
            {
                problem ??= string.Create(CultureInfo.InvariantCulture, $"line {line + 1} is cut short (no end of line)");
                break;
            }

            ReadOnlySpan<byte> current = text[..n];
            text = text[(n + 1)..];
            line++;
            if (end)
            {
                problem ??= string.Create(CultureInfo.InvariantCulture, $"line {line}: data after the end marker");
                continue;
            }

            try
            {
                using JsonDocument doc = JsonDocument.Parse(current.ToArray());
                JsonElement e = doc.RootElement;
                if (line == 1)
                {
                    if (!e.TryGetProperty("format", out JsonElement f) || f.GetString() != Format ||
                        !e.TryGetProperty("version", out JsonElement v) || v.GetInt32() != FormatVersion)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"line 1 is not a {Format} version {FormatVersion} header");
                    }

                    header = true;
                    expected = e.TryGetProperty("entries", out JsonElement c) ? c.GetInt32() : -1;
                    continue;
                }

                if (e.TryGetProperty("end", out JsonElement endCount))
                {
                    end = true;
                    if (endCount.GetInt32() != expected)
                    {
                        problem ??= string.Create(CultureInfo.InvariantCulture, $"the end marker counts {endCount.GetInt32()} entries, the header {expected}");
                    }

                    continue;
                }

                ReadEntry(e);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                if (line == 1)
                {
                    return "line 1 is not a journal header: " + ex.Message;
                }

                problem ??= string.Create(CultureInfo.InvariantCulture, $"line {line} is not a journal entry: {ex.Message}");
            }
        }

        if (!header)
        {
            return "no header";
        }

        if (!end)
        {
            problem ??= "it has no end marker (cut short)";
        }
        else if (expected >= 0 && _entries.Count != expected && problem is null)
        {
            problem = string.Create(CultureInfo.InvariantCulture, $"it holds {_entries.Count} entries, the header says {expected}");
        }

        return problem;
    }

    private void ReadEntry(JsonElement e)
    {
        if (e.TryGetProperty("missingSince", out JsonElement since) && !e.TryGetProperty("setting", out _))
        {
            string vmName = e.GetProperty("vm").GetString() ?? string.Empty;
            Guid u = e.TryGetProperty("uuid", out JsonElement uu) ? Guid.Parse(uu.GetString() ?? string.Empty) : Guid.Empty;
            var id = u == Guid.Empty ? new VmId(vmName) : new VmId(vmName, u);
            _missing[VmKey(id)] = (vmName, since.GetDateTimeOffset());
            return;
        }

        string vm = e.GetProperty("vm").GetString() ?? string.Empty;
        string setting = e.GetProperty("setting").GetString() ?? string.Empty;
        string value = e.GetProperty("original").GetString() ?? throw new FormatException("original is null");
        if (vm.Length == 0 || setting.Length == 0)
        {
            throw new FormatException("an entry has an empty vm or setting");
        }

        Guid uuid = e.TryGetProperty("uuid", out JsonElement ue) ? Guid.Parse(ue.GetString() ?? string.Empty) : Guid.Empty;
        VmId id2 = uuid == Guid.Empty ? new VmId(vm) : new VmId(vm, uuid);
        if (uuid != Guid.Empty)
        {
            _names[uuid] = vm;
        }

        _entries.TryAdd(Key(id2, setting), value);
    }

    private string? ParseVersion1(byte[] bytes)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(bytes);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("version", out JsonElement version) || version.GetInt32() != 1 ||
                !root.TryGetProperty("entries", out JsonElement entries) || entries.ValueKind != JsonValueKind.Array)
            {
                return "not a ResCoin settings journal";
            }

            foreach (JsonElement e in entries.EnumerateArray())
            {
                ReadEntry(e);
            }

            return null;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            return "not a ResCoin settings journal: " + ex.Message;
        }
    }

    private void Persist()
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (_entries.Count * 128));
        var options = new JsonWriterOptions { Indented = false, SkipValidation = false };
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteNumber("version", FormatVersion);
            writer.WriteNumber("entries", _entries.Count);
            writer.WriteEndObject();
        }

        NewLine(buffer);
        foreach (KeyValuePair<(Guid Uuid, string Name, string Setting), string> e in _entries)
        {
            using (var writer = new Utf8JsonWriter(buffer, options))
            {
                writer.WriteStartObject();
                writer.WriteString("vm", e.Key.Uuid == Guid.Empty ? e.Key.Name : NameOf(e.Key.Uuid));
                if (e.Key.Uuid != Guid.Empty)
                {
                    writer.WriteString("uuid", e.Key.Uuid.ToString("D"));
                }

                writer.WriteString("setting", e.Key.Setting);
                writer.WriteString("original", e.Value);
                writer.WriteEndObject();
            }

            NewLine(buffer);
        }

        foreach (KeyValuePair<(Guid Uuid, string Name), (string Name, DateTimeOffset Since)> m in _missing)
        {
            using (var writer = new Utf8JsonWriter(buffer, options))
            {
                writer.WriteStartObject();
                writer.WriteString("vm", m.Value.Name);
                if (m.Key.Uuid != Guid.Empty)
                {
                    writer.WriteString("uuid", m.Key.Uuid.ToString("D"));
                }

                writer.WriteString("missingSince", m.Value.Since);
                writer.WriteEndObject();
            }

            NewLine(buffer);
        }

        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            writer.WriteStartObject();
            writer.WriteNumber("end", _entries.Count);
            writer.WriteEndObject();
        }

        NewLine(buffer);
        JournalFiles.WriteAtomically(FilePath, buffer.WrittenSpan);
    }

    private string NameOf(Guid uuid) => _names.TryGetValue(uuid, out string? n) ? n : uuid.ToString("D");

    private static void NewLine(ArrayBufferWriter<byte> buffer)
    {
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);
    }
}
