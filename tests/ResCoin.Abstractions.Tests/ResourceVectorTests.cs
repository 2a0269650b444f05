namespace ResCoin.Tests;

public class ResourceVectorTests
{
    [Fact]
    public void Indexer_ByKindAndByProperty_AreTheSameStorage()
    {
        var v = new ResourceVector(1.5, 2e9, 3, 4, 5, 6);
        Assert.Equal(1.5, v[ResourceKind.Cpu]);
        Assert.Equal(2e9, v.Memory);
        v[ResourceKind.NetTx] = 7;
        Assert.Equal(7, v.NetTx);
        Assert.Equal(7, v[5]);
    }

    [Fact]
    public void Arithmetic_IsElementWise()
    {
        var a = new ResourceVector(1, 2, 3, 4, 5, 6);
        var b = ResourceVector.Fill(1);
        Assert.Equal(new ResourceVector(2, 3, 4, 5, 6, 7), a + b);
        Assert.Equal(new ResourceVector(0, 1, 2, 3, 4, 5), a - b);
        Assert.Equal(new ResourceVector(2, 4, 6, 8, 10, 12), a * 2);
        Assert.Equal(b, ResourceVector.Min(a, b));
        Assert.Equal(a, ResourceVector.Max(a, b));
    }

    [Fact]
    public void IsFinite_FalseForNaNOrInfinity()
    {
        Assert.True(new ResourceVector(1, 2).IsFinite());
        Assert.False(ResourceVector.Fill(double.NaN).IsFinite());
        var v = ResourceVector.Zero;
        v.DiskWrite = double.PositiveInfinity;
        Assert.False(v.IsFinite());
    }

    [Fact]
    public void ResourceKinds_NamesRoundTrip()
    {
        foreach (ResourceKind k in ResourceKinds.All)
        {
            Assert.True(ResourceKinds.TryParse(ResourceKinds.Name(k), out ResourceKind parsed));
            Assert.Equal(k, parsed);
            Assert.True(ResourceSet.All.Contains(k));
            Assert.False(ResourceSet.None.Contains(k));
        }

        Assert.False(ResourceKinds.TryParse("gpu", out _));
    }
}
