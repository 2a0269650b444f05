namespace ResCoin.Tests;

public class HostSnapshotTests
{
    [Fact]
    public void Add_GrowsAndFillsInPlace()
    {
        var s = new HostSnapshot(1);
        for (int i = 0; i < 5; i++)
        {
            ref VmSample vm = ref s.Add(new VmId($"vm{i}"));
            Assert.True(double.IsNaN(vm.Usage.Cpu));
            vm.Usage.Cpu = i;
        }

        Assert.Equal(5, s.Count);
        Assert.Equal(3, s.Vms[3].Usage.Cpu);
        Assert.Equal(2, s.IndexOf(new VmId("vm2")));
        s.Clear();
        Assert.Equal(0, s.Count);
        Assert.Equal(-1, s.IndexOf(new VmId("vm2")));
    }

    [Fact]
    public void Add_DefaultId_Throws()
    {
        var s = new HostSnapshot();
        Assert.Throws<ArgumentException>(() => s.Add(default));
    }
}
