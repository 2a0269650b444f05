using ResCoin.Actuation;

namespace ResCoin.Tests;

public sealed class SettingsJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rescoin-journal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TryRecordOriginal_KeepsFirstValueAndSurvivesReopen()
    {
        string path = Path.Combine(_dir, "sub", "journal.json");
        var j = SettingsJournal.Open(path);
        var vm = new VmId("vm-a");
        Assert.True(j.TryRecordOriginal(vm, "cpu.global_quota", "-1"));
        Assert.False(j.TryRecordOriginal(vm, "cpu.global_quota", "50000"));
        Assert.True(j.TryRecordOriginal(new VmId("vm-b"), "memory.balloon", "262144"));

        // A new process after a crash sees the same originals.
        var reopened = SettingsJournal.Open(path);
        Assert.Equal(2, reopened.Count);
        Assert.True(reopened.TryGetOriginal(vm, "cpu.global_quota", out string original));
        Assert.Equal("-1", original);
        Assert.Equal("vm-a", reopened.GetEntries()[0].Vm.Name);

        Assert.True(reopened.Remove(vm, "cpu.global_quota"));
        Assert.Equal(1, reopened.RemoveVm(new VmId("vm-b")));
        Assert.Equal(0, SettingsJournal.Open(path).Count);
    }

    [Fact]
    public void Open_CorruptFile_ThrowsNamingTheFile()
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, "{ not json");
        var ex = Assert.Throws<InvalidDataException>(() => SettingsJournal.Open(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }
}
