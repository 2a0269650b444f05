using ResCoin.Prediction;
using ResCoin.Scheduling.Control;

namespace ResCoin.Scheduling.Tests;

public sealed class PeriodEngineTests
{
    [Fact]
    public void Run_CreditIsWindowSumOfTemplateMinusMeasuredUsage_NaNSkipped()
    {
        var engine = new PeriodEngine(new EchoPredictor(), new CreditAllocator(), window: 3);
        engine.EnsureSlots(2);
        double[] usage0 = [1, 2, double.NaN, 4, 5, 0.5];
        var terms = new List<double>();
        for (int t = 0; t < usage0.Length; t++)
        {
            ResourceVector[] usage = [new(usage0[t], 0), new(3, 0)];
            ResourceVector[] templates = [new(2, 1), new(2, 1)];
            var estimates = new ResourceVector[2];
            var credits = new ResourceVector[2];
            var allocations = new ResourceVector[2];
            engine.Run(new ResourceVector(4, 2), ResourceSet.Cpu | ResourceSet.Memory, 2, [1, 0], [new VmId("a"), new VmId("b")], templates, usage, estimates, credits, allocations);
            if (!double.IsNaN(usage0[t]))
            {
                terms.Add(2 - usage0[t]);
            }

            Assert.Equal(terms.TakeLast(3).Sum(), credits[0].Cpu, 12);
            Assert.Equal(Math.Min(t + 1, 3) * -1.0, credits[1].Cpu, 12);
            Assert.True(double.IsNaN(credits[0].DiskRead) && double.IsNaN(allocations[0].NetTx), "unscheduled resources are NaN");
            Assert.True(allocations[0].Cpu + allocations[1].Cpu <= 4 + 1e-12);
        }
    }

    [Fact]
    public void Run_NegativeUsage_ArgumentExceptionNamingVmAndResource_StateUnchanged()
    {
        var engine = new PeriodEngine(Predictors.Create("ewma"), new CreditAllocator(), window: 3);
        engine.EnsureSlots(1);
        var ex = Assert.Throws<ArgumentException>(() => engine.Run(
            new ResourceVector(4, 2), ResourceSet.All, 1, [0], [new VmId("web")], [new(1, 1, 1, 1, 1, 1)], [new(1, 1, 1, -2, 1, 1)],
            new ResourceVector[1], new ResourceVector[1], new ResourceVector[1]));
        Assert.Contains("'web'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("diskWrite", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.Ledger.Credit(ResourceKind.Cpu, 0));
    }
}
