using System.Text;
using ResCoin.Actuation;

namespace ResCoin.Tests;

[Collection(nameof(SettingsJournalTests))] // the fault hook is process-wide
public sealed class SettingsJournalTests : IDisposable
{
    private static readonly Guid s_uuidA = Guid.Parse("0b1e7a52-6f0e-4d4e-9a51-5d3c1b4c7e01");
    private static readonly Guid s_uuidB = Guid.Parse("0b1e7a52-6f0e-4d4e-9a51-5d3c1b4c7e02");
    private readonly string _dir = Directory.CreateTempSubdirectory("rescoin-journal-").FullName;

    public void Dispose()
    {
        JournalFiles.FaultHook = null;
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void TryRecordOriginal_KeepsFirstValueAndSurvivesReopen()
    {
        string path = Path.Combine(_dir, "sub", "journal.json");
        using var j = SettingsJournal.Open(path);
        var vm = new VmId("vm-a", s_uuidA);
        Assert.True(j.TryRecordOriginal(vm, "cpu.global_quota", "-1"));
        Assert.False(j.TryRecordOriginal(vm, "cpu.global_quota", "50000"));
        Assert.True(j.TryRecordOriginal(new VmId("vm-b"), "memory.balloon", "262144"));

        // A new process after a crash sees the same originals, with the UUID.
        using var reopened = SettingsJournal.Open(path);
        Assert.Null(reopened.QuarantinedFile);
        Assert.Equal(2, reopened.Count);
        Assert.True(reopened.TryGetOriginal(vm, "cpu.global_quota", out string original));
        Assert.Equal("-1", original);
        JournalEntry first = reopened.GetEntries()[0];
        Assert.Equal("vm-a", first.Vm.Name);
        Assert.Equal(s_uuidA, first.Vm.Uuid);

        Assert.True(reopened.Remove(vm, "cpu.global_quota"));
        Assert.Equal(1, reopened.RemoveVm(new VmId("vm-b")));
        using var empty = SettingsJournal.Open(path);
        Assert.Equal(0, empty.Count);
        Assert.Null(empty.QuarantinedFile);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Open_CreatesPrivateDirectory_RefusesOneOthersCanWrite()
    {
        string path = Path.Combine(_dir, "new", "journal.json");
        using (var j = SettingsJournal.Open(path))
        {
            Assert.True(j.IsDirectoryPrivate);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }

        string open = Path.Combine(_dir, "open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        var ex = Assert.Throws<UnauthorizedAccessException>(() => SettingsJournal.Open(Path.Combine(open, "journal.json")));
        Assert.Contains(open, ex.Message, StringComparison.Ordinal);
        Assert.Contains("writable by other users", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_KeyedByUuid_SameNameDifferentUuidIsAnotherVm()
    {
        using var j = SettingsJournal.Open(Path.Combine(_dir, "journal.json"));
        Assert.True(j.TryRecordOriginal(new VmId("web", s_uuidA), "memory.balloon_kib", "262144"));

        // A different VM re-created under the same name: not the same entry.
        Assert.False(j.TryGetOriginal(new VmId("web", s_uuidB), "memory.balloon_kib", out _));
        Assert.False(j.Contains(new VmId("web", s_uuidB)));
        Assert.True(j.TryRecordOriginal(new VmId("web", s_uuidB), "memory.balloon_kib", "131072"));

        // The same VM renamed: still the same entry.
        Assert.True(j.TryGetOriginal(new VmId("web-renamed", s_uuidA), "memory.balloon_kib", out string v));
        Assert.Equal("262144", v);
        Assert.Equal(2, j.Count);
    }

    [Fact]
    public void TryRecordOriginal_WriteFails_ThrowsAndRecordsNothing()
    {
        string path = Path.Combine(_dir, "journal.json");
        using var j = SettingsJournal.Open(path);
        Assert.True(j.TryRecordOriginal(new VmId("a", s_uuidA), "cpu.global_quota", "-1"));
        byte[] before = File.ReadAllBytes(path);

        JournalFiles.FaultHook = point => throw new IOException("injected at " + point);
        Assert.Throws<IOException>(() => j.TryRecordOriginal(new VmId("b", s_uuidB), "cpu.global_quota", "-1"));
        JournalFiles.FaultHook = null;

        // Not in memory, not on disk, and no temporary file left behind.
        Assert.False(j.TryGetOriginal(new VmId("b", s_uuidB), "cpu.global_quota", out _));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["journal.json", "journal.json.lock"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // A failed removal keeps the entry (the disk still has it).
        JournalFiles.FaultHook = point => throw new IOException("injected at " + point);
        Assert.Throws<IOException>(() => j.Remove(new VmId("a", s_uuidA), "cpu.global_quota"));
        Assert.Throws<IOException>(() => j.RemoveVm(new VmId("a", s_uuidA)));
        JournalFiles.FaultHook = null;
        Assert.True(j.TryGetOriginal(new VmId("a", s_uuidA), "cpu.global_quota", out _));
    }

    [Fact]
    public void Persist_PlantedSymlinkAtLockFile_NotFollowed()
    {
        string target = Path.Combine(_dir, "precious");
        File.WriteAllText(target, "keep me");
        string path = Path.Combine(_dir, "journal.json");
        File.CreateSymbolicLink(path + ".lock", target);

        var ex = Assert.Throws<IOException>(() => SettingsJournal.Open(path));
        Assert.Contains(path + ".lock", ex.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(target));
    }

    [Fact]
    public void Open_SymlinkAsJournal_QuarantinedNotFollowed()
    {
        string target = Path.Combine(_dir, "precious");
        File.WriteAllText(target, "keep me");
        string path = Path.Combine(_dir, "journal.json");
        File.CreateSymbolicLink(path, target);

        using var j = SettingsJournal.Open(path);
        Assert.NotNull(j.QuarantinedFile);
        j.TryRecordOriginal(new VmId("a", s_uuidA), "x", "1");
        Assert.Equal("keep me", File.ReadAllText(target));
        Assert.False(new FileInfo(path).LinkTarget is not null);
    }

    [Fact]
    public void Open_RemovesTemporariesOfACrashedWriter()
    {
        string path = Path.Combine(_dir, "journal.json");
        string stale = Path.Combine(_dir, ".journal.json.0011223344556677.tmp");
        File.WriteAllText(stale, "half");
        using var j = SettingsJournal.Open(path);
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public void Open_ZeroLength_QuarantinedAndReported()
    {
        string path = Path.Combine(_dir, "journal.json");
        File.WriteAllBytes(path, []);
        var time = new ManualTime(new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero));
        using var j = SettingsJournal.Open(path, new SettingsJournalOptions { TimeProvider = time });

        Assert.Equal(path + ".corrupt-20261203T080000Z", j.QuarantinedFile);
        Assert.Contains("empty", j.QuarantineReason, StringComparison.Ordinal);
        Assert.True(File.Exists(j.QuarantinedFile));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Open_CorruptFile_QuarantinedNamingTheProblem()
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, "{ not json");
        using var j = SettingsJournal.Open(path);
        Assert.NotNull(j.QuarantinedFile);
        Assert.Equal("{ not json", File.ReadAllText(j.QuarantinedFile!));
        Assert.Equal(0, j.Count);
    }

    [Fact]
    public void Open_TornFile_CompleteEntriesRecovered()
    {
        string path = Path.Combine(_dir, "journal.json");
        using (var j = SettingsJournal.Open(path))
        {
            j.TryRecordOriginal(new VmId("a", s_uuidA), "cpu.global_quota", "-1");
            j.TryRecordOriginal(new VmId("a", s_uuidA), "memory.balloon_kib", "262144");
            j.TryRecordOriginal(new VmId("b", s_uuidB), "blkio:vda:read_bytes_sec", "1048576");
        }

        // Cut in the middle of the last entry line.
        byte[] whole = File.ReadAllBytes(path);
        string text = Encoding.UTF8.GetString(whole);
        int cut = text.IndexOf("blkio", StringComparison.Ordinal);
        File.WriteAllBytes(path, whole[..(cut + 3)]);

        using var torn = SettingsJournal.Open(path);
        Assert.NotNull(torn.QuarantinedFile);
        Assert.Contains("2 complete entries were recovered", torn.QuarantineReason, StringComparison.Ordinal);
        Assert.Equal(2, torn.Count);
        Assert.True(torn.TryGetOriginal(new VmId("a", s_uuidA), "memory.balloon_kib", out string v));
        Assert.Equal("262144", v);

        // The recovered entries were written back as a whole journal.
        using var again = SettingsJournal.Open(path);
        Assert.Null(again.QuarantinedFile);
        Assert.Equal(2, again.Count);
    }

    [Fact]
    public void Open_Oversized_ReadsOnlyUpToTheLimit_RecoversEntriesWithin()
    {
        string path = Path.Combine(_dir, "journal.json");
        using (var j = SettingsJournal.Open(path))
        {
            j.TryRecordOriginal(new VmId("a", s_uuidA), "cpu.global_quota", "-1");
        }

        using (FileStream f = new(path, FileMode.Append))
        {
            f.Write(new byte[8192]);
        }

        using var big = SettingsJournal.Open(path, new SettingsJournalOptions { MaxFileBytes = 4096 });
        Assert.Contains("over the 4096-byte limit", big.QuarantineReason, StringComparison.Ordinal);
        Assert.True(big.TryGetOriginal(new VmId("a", s_uuidA), "cpu.global_quota", out string v));
        Assert.Equal("-1", v);
        Assert.True(new FileInfo(big.QuarantinedFile!).Length > 8192); // kept aside whole
        Assert.True(new FileInfo(path).Length < 4096); // the recovered entry, written back
    }

    [Fact]
    public void Open_Version1Journal_StillRead()
    {
        string path = Path.Combine(_dir, "journal.json");
        File.WriteAllText(path, """
            {
              "version": 1,
              "entries": [
                { "vm": "old-vm", "setting": "cpu.global_quota", "original": "-1" }
              ]
            }
            """);
        using var j = SettingsJournal.Open(path);
        Assert.Null(j.QuarantinedFile);
        Assert.True(j.TryGetOriginal(new VmId("old-vm"), "cpu.global_quota", out string v));
        Assert.Equal("-1", v);
    }

    [Fact]
    public void Lock_HeldByThisProcess_SecondOwnerSeesOurPid()
    {
        string path = Path.Combine(_dir, "journal.json");
        using var j = SettingsJournal.Open(path);
        // Another open file description (what a second process has) cannot take the flock.
        int fd = JournalFiles.TryLock(j.LockFilePath, out int holder);
        Assert.Equal(-1, fd);
        Assert.Equal(Environment.ProcessId, holder);

        var ex = new SettingsJournalLockedException(j.LockFilePath, holder);
        Assert.Contains("held by process " + Environment.ProcessId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lock_ReleasedOnDispose()
    {
        string path = Path.Combine(_dir, "journal.json");
        string lockPath;
        using (var j = SettingsJournal.Open(path))
        {
            lockPath = j.LockFilePath;
        }

        int fd = JournalFiles.TryLock(lockPath, out _);
        Assert.True(fd >= 0);
        JournalFiles.Unlock(fd);
    }

    [Fact]
    public void MarkMissing_KeptForRetentionThenReleased_PersistsAcrossReopen()
    {
        string path = Path.Combine(_dir, "journal.json");
        var time = new ManualTime(new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero));
        var options = new SettingsJournalOptions { TimeProvider = time, MissingVmRetention = TimeSpan.FromHours(1) };
        var vm = new VmId("gone", s_uuidA);
        using (var j = SettingsJournal.Open(path, options))
        {
            j.TryRecordOriginal(vm, "cpu.global_quota", "-1");
            Assert.True(j.MarkMissing(vm, out TimeSpan missing));
            Assert.Equal(TimeSpan.Zero, missing);
        }

        time.Now += TimeSpan.FromMinutes(30);
        using (var j = SettingsJournal.Open(path, options))
        {
            Assert.True(j.MarkMissing(vm, out TimeSpan missing));
            Assert.Equal(TimeSpan.FromMinutes(30), missing);
            j.ClearMissing(vm); // it came back
            Assert.True(j.MarkMissing(vm, out missing)); // and went again: the clock restarts
            Assert.Equal(TimeSpan.Zero, missing);
        }

        time.Now += TimeSpan.FromMinutes(61);
        using (var j = SettingsJournal.Open(path, options))
        {
            Assert.False(j.MarkMissing(vm, out _));
            Assert.Equal(1, j.RemoveVm(vm));
        }
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}

[CollectionDefinition(nameof(SettingsJournalTests), DisableParallelization = true)]
public sealed class SettingsJournalSerial
{
}
