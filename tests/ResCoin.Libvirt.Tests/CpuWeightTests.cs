using Microsoft.Extensions.Logging;

namespace ResCoin.Libvirt.Tests;

/// <summary>The CPU apply path on a real guest: weights as cpu_shares, NaN puts originals back, unchanged values make no call.</summary>
[Collection(KvmGuests.Name)]
public sealed class CpuWeightTests(GuestFixture guests) : IDisposable
{
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "rescoin-test-journal-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose()
    {
        File.Delete(_journal);
        File.Delete(_journal + ".tmp");
        File.Delete(_journal + ".lock");
    }

    [SkippableFact]
    public async Task Weight_SetsCpuShares_InSchedulerAndCgroup_SameValueNoCall_NaNPutsOriginalBack()
    {
        guests.Require();
        string vm = guests.IdleGuest;
        long original = Live.SchedulerParameter(vm, "cpu_shares");
        var log = new ListLogger<LibvirtActuator>();
        using var actuator = new LibvirtActuator(new LibvirtOptions { ConnectionUri = GuestFixture.Uri, JournalPath = _journal }, logger: log);
        ResourceVector noCap = ResourceVector.Fill(double.NaN);
        try
        {
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, noCap, noCap, weight: new ResourceVector(2.5, double.NaN)), default);
            Assert.Equal(2560, Live.SchedulerParameter(vm, "cpu_shares")); // round(1024 x 2.5)
            string? cgroup = Live.CpuCgroup(vm);
            if (cgroup is not null)
            {
                Assert.Equal("2560", File.ReadAllText(Path.Combine(cgroup, "cpu.shares")).Trim());
            }

            Assert.Equal(1, actuator.JournaledSettings);
            Assert.Equal(-1, Live.SchedulerParameter(vm, "global_quota")); // a NaN cap set nothing

            // The same weight again (and one within the dead-band): no libvirt call, nothing logged.
            int applied = log.Lines.Count(l => l.Message.Contains(": cpu_shares ", StringComparison.Ordinal));
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, noCap, noCap, weight: new ResourceVector(2.5, double.NaN)), default);
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, noCap, noCap, weight: new ResourceVector(2.51, double.NaN)), default);
            Assert.Equal(applied, log.Lines.Count(l => l.Message.Contains(": cpu_shares ", StringComparison.Ordinal)));

            // A tiny weight clamps at the kernel's minimum, never 0.
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, noCap, noCap, weight: new ResourceVector(1e-9, double.NaN)), default);
            Assert.Equal(2, Live.SchedulerParameter(vm, "cpu_shares"));

            // NaN: the original comes back and leaves the journal.
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, noCap, noCap), default);
            Assert.Equal(original, Live.SchedulerParameter(vm, "cpu_shares"));
            Assert.Equal(0, actuator.JournaledSettings);
        }
        finally
        {
            await actuator.RestoreAsync(default);
        }

        Assert.Equal(original, Live.SchedulerParameter(vm, "cpu_shares"));
    }

    [SkippableFact]
    public async Task Cap_ThenNaNOrAtVcpus_PutsUnlimitedQuotaBack_WeightRestoredOnStop()
    {
        guests.Require();
        string vm = guests.IdleGuest;
        long originalShares = Live.SchedulerParameter(vm, "cpu_shares");
        using var actuator = new LibvirtActuator(new LibvirtOptions { ConnectionUri = GuestFixture.Uri, JournalPath = _journal });
        ResourceVector none = ResourceVector.Fill(double.NaN);
        try
        {
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, new ResourceVector(0.4, double.NaN), none, weight: new ResourceVector(0.5, double.NaN)), default);
            Assert.Equal(40_000, Live.SchedulerParameter(vm, "global_quota"));
            Assert.Equal(512, Live.SchedulerParameter(vm, "cpu_shares"));
            Assert.Equal(2, actuator.JournaledSettings);

            // No cap this period: unlimited again (the original), the weight stays.
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, none, none, weight: new ResourceVector(0.5, double.NaN)), default);
            Assert.Equal(-1, Live.SchedulerParameter(vm, "global_quota"));
            Assert.Equal(512, Live.SchedulerParameter(vm, "cpu_shares"));
            Assert.Equal(1, actuator.JournaledSettings);

            // A cap again, then one at the VM's vCPU count (1): no cap the VM could reach, so the original is back.
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, new ResourceVector(0.4, double.NaN), none, weight: new ResourceVector(0.5, double.NaN)), default);
            Assert.Equal(40_000, Live.SchedulerParameter(vm, "global_quota"));
            await actuator.ApplyAsync(Live.Plan(vm, ResourceSet.Cpu, new ResourceVector(1, double.NaN), none, weight: new ResourceVector(0.5, double.NaN)), default);
            Assert.Equal(-1, Live.SchedulerParameter(vm, "global_quota"));
        }
        finally
        {
            await actuator.RestoreAsync(default);
        }

        // Stop: the weight is back too.
        Assert.Equal(originalShares, Live.SchedulerParameter(vm, "cpu_shares"));
        Assert.Equal(-1, Live.SchedulerParameter(vm, "global_quota"));
        Assert.Equal(0, actuator.JournaledSettings);
    }
}
