using System.Text.Json;

namespace ResCoin.Actuation;

/// <summary>One original setting recorded before an actuator first changed it.</summary>
/// <param name="Vm">The VM (or cgroup).</param>
/// <param name="Setting">The actuator's key for the setting (e.g. <c>cpu.global_quota</c>, <c>blkio:vda:write_bytes_sec</c>).</param>
/// <param name="OriginalValue">The value in force before the first change, as the actuator formats it.</param>
public readonly record struct JournalEntry(VmId Vm, string Setting, string OriginalValue);

/// <summary>
/// A durable record of the original value of every setting an actuator changed, so that a stop, or the next
/// start after a crash, can put every VM back as it was. Each change of the journal is written to a temporary
/// file, flushed and renamed over the journal, so a crash leaves either the old or the new journal, never half.
/// Thread-safe.
/// </summary>
public sealed class SettingsJournal
{
    private const int FormatVersion = 1;
    private readonly Dictionary<(VmId Vm, string Setting), string> _entries = [];
    private readonly Lock _lock = new();

    private SettingsJournal(string path) => FilePath = path;

    /// <summary>The journal file.</summary>
    public string FilePath { get; }

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

    /// <summary>Opens a journal, loading the entries a previous run left behind (after a crash), or starts an empty one.</summary>
    /// <param name="path">The journal file; its directory is created when missing.</param>
    /// <returns>The journal.</returns>
    /// <exception cref="InvalidDataException">The file exists but is not a journal (the message names the file).</exception>
    public static SettingsJournal Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var journal = new SettingsJournal(full);
        if (File.Exists(full))
        {
            journal.Load();
        }

        return journal;
    }

    /// <summary>Records <paramref name="originalValue"/> as the original of a setting unless one is recorded already, and persists it.</summary>
    /// <param name="vm">The VM.</param>
    /// <param name="setting">The setting's key.</param>
    /// <param name="originalValue">The value in force before the first change.</param>
    /// <returns><see langword="true"/> when the entry was new.</returns>
    public bool TryRecordOriginal(VmId vm, string setting, string originalValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(setting);
        ArgumentNullException.ThrowIfNull(originalValue);
        lock (_lock)
        {
            if (!_entries.TryAdd((vm, setting), originalValue))
            {
                return false;
            }

            Persist();
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
            return _entries.TryGetValue((vm, setting), out originalValue!);
        }
    }

    /// <summary>A copy of every entry, sorted by VM then setting.</summary>
    /// <returns>The entries.</returns>
    public IReadOnlyList<JournalEntry> GetEntries()
    {
        lock (_lock)
        {
            var list = new List<JournalEntry>(_entries.Count);
            foreach (KeyValuePair<(VmId Vm, string Setting), string> e in _entries)
            {
                list.Add(new JournalEntry(e.Key.Vm, e.Key.Setting, e.Value));
            }

            list.Sort(static (a, b) =>
            {
                int c = a.Vm.CompareTo(b.Vm);
                return c != 0 ? c : string.CompareOrdinal(a.Setting, b.Setting);
            });
            return list;
        }
    }

    /// <summary>Forgets a setting (after it was restored) and persists the journal.</summary>
    /// <param name="vm">The VM.</param>
    /// <param name="setting">The setting's key.</param>
    /// <returns><see langword="true"/> when an entry was removed.</returns>
    public bool Remove(VmId vm, string setting)
    {
        lock (_lock)
        {
            if (!_entries.Remove((vm, setting)))
            {
                return false;
            }

            Persist();
            return true;
        }
    }

    /// <summary>Forgets every setting of a VM (it no longer exists) and persists the journal.</summary>
    /// <param name="vm">The VM.</param>
    /// <returns>The number of entries removed.</returns>
    public int RemoveVm(VmId vm)
    {
        lock (_lock)
        {
            int removed = 0;
            foreach ((VmId Vm, string Setting) key in _entries.Keys.ToArray())
            {
                if (key.Vm == vm && _entries.Remove(key))
                {
                    removed++;
                }
            }

            if (removed > 0)
            {
                Persist();
            }

            return removed;
        }
    }

    private void Load()
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(FilePath);
            if (bytes.Length == 0)
            {
                return;
            }

            using JsonDocument doc = JsonDocument.Parse(bytes);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("version", out JsonElement version) || version.GetInt32() != FormatVersion ||
                !root.TryGetProperty("entries", out JsonElement entries) || entries.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{FilePath}: not a ResCoin settings journal (version {FormatVersion}).");
            }

            foreach (JsonElement e in entries.EnumerateArray())
            {
                string vm = e.GetProperty("vm").GetString() ?? string.Empty;
                string setting = e.GetProperty("setting").GetString() ?? string.Empty;
                string value = e.GetProperty("original").GetString() ?? string.Empty;
                if (vm.Length == 0 || setting.Length == 0)
                {
                    throw new InvalidDataException($"{FilePath}: an entry has an empty vm or setting.");
                }

                _entries[(new VmId(vm), setting)] = value;
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{FilePath}: the settings journal is corrupt: {ex.Message}", ex);
        }
    }

    private void Persist()
    {
        string temp = FilePath + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteNumber("version", FormatVersion);
                writer.WriteStartArray("entries");
                foreach (KeyValuePair<(VmId Vm, string Setting), string> e in _entries)
                {
                    writer.WriteStartObject();
                    writer.WriteString("vm", e.Key.Vm.Name);
                    writer.WriteString("setting", e.Key.Setting);
                    writer.WriteString("original", e.Value);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, FilePath, overwrite: true);
    }
}
