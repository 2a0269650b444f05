using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ResCoin.Prediction;
using ResCoin.Scheduling.Control;

namespace ResCoin.Scheduling.Tests;

/// <summary>A user's column policy (docs/design.md, "Writing your own policy") is a first-class citizen.</summary>
public sealed class ColumnAllocatorTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeActuator _actuator = new();
    private readonly FakeMonitor _monitor;

    public ColumnAllocatorTests() => _monitor = new FakeMonitor(_time);

    /// <summary>
    /// Caps every VM at its template and weights it by its credit plus one, one resource at a time. The row form throws,
    /// so a test passes only if the controller takes the column path. <see cref="BadVm"/> gets a negative memory cap.
    /// </summary>
    private sealed class TemplateCapPolicy : IColumnAllocator
    {
        public string Name => "template-cap";

        public int Columns { get; private set; }

        public List<ResourceKind> Resources { get; } = [];

        public int BadVm { get; set; } = -1;

        public void Allocate(scoped in AllocationInput input, scoped in AllocationOutput output)
            => throw new InvalidOperationException("The controller must call the column form.");

        public void AllocateColumn(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights)
        {
            Columns++;
            Resources.Add(input.Resource);
            for (int i = 0; i < input.Count; i++)
            {
                caps[i] = input.Templates[i];
                weights[i] = 1 + Math.Max(input.Credits[i], 0);
                if (i == BadVm && input.Resource == ResourceKind.Memory)
                {
                    caps[i] = -1;
                }
            }
        }
    }

    /// <summary>The same policy written on the public base class, so the row form comes with the built-in checks.</summary>
    private sealed class HalfCapacityPolicy : ColumnAllocator
    {
        public override string Name => "half";

        public double Weight { get; set; } = double.NaN;

        public override void AllocateColumn(scoped in ColumnAllocationInput input, Span<double> caps, Span<double> weights)
        {
            caps[..input.Count].Fill(input.Capacity / 2);
            weights[..input.Count].Fill(Weight);
        }
    }

    private ServiceProvider Build(TemplateCapPolicy policy)
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time).AddSingleton<IMonitor>(_monitor).AddSingleton<IActuator>(_actuator);
        services.AddResCoin(o =>
        {
            o.Resources = ResourceSet.Cpu | ResourceSet.Memory;
            o.Templates["a"] = new ResourceAmounts { Cpu = 1, Memory = 1e9 };
            o.Templates["b"] = new ResourceAmounts { Cpu = 3, Memory = 2e9 };
        }).UseAllocator(policy);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task UseAllocator_UserColumnAllocator_ControllerCallsTheColumnFormPerResource()
    {
        var policy = new TemplateCapPolicy();
        await using ServiceProvider sp = Build(policy);
        _monitor.Vms["a"] = new ResourceVector(0.5, 5e8);
        _monitor.Vms["b"] = new ResourceVector(2, 1e9);
        ResCoinController controller = sp.GetRequiredService<ResCoinController>();
        Assert.Same(policy, sp.GetRequiredService<IAllocator>());

        PeriodResult result = await controller.RunPeriodAsync(default);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal([ResourceKind.Cpu, ResourceKind.Memory], policy.Resources);
        ControllerPeriod p = controller.LastPeriod;
        int a = p.Vms.IndexOf(new VmId("a"));
        int b = p.Vms.IndexOf(new VmId("b"));
        Assert.Equal(1, p.Caps[a].Cpu);
        Assert.Equal(3, p.Caps[b].Cpu);
        Assert.Equal(2e9, p.Caps[b].Memory);
        Assert.True(double.IsNaN(p.Caps[a].DiskRead)); // not scheduled
    }

    [Fact]
    public async Task UseAllocator_UserColumnAllocatorGivesNegativeCap_PeriodFailsNamingVmAndResource()
    {
        var policy = new TemplateCapPolicy();
        await using ServiceProvider sp = Build(policy);
        _monitor.Vms["a"] = new ResourceVector(0.5, 5e8);
        _monitor.Vms["b"] = new ResourceVector(2, 1e9);
        ResCoinController controller = sp.GetRequiredService<ResCoinController>();
        Assert.True((await controller.RunPeriodAsync(default)).Succeeded);
        policy.BadVm = controller.LastPeriod.Vms.IndexOf(new VmId("b"));

        PeriodResult result = await controller.RunPeriodAsync(default);

        Assert.Equal(PeriodStage.Compute, result.FailedStage);
        var error = Assert.IsType<InvalidOperationException>(result.Error);
        Assert.Contains("'template-cap'", error.Message, StringComparison.Ordinal);
        Assert.Contains("VM 'b'", error.Message, StringComparison.Ordinal);
        Assert.Contains("cap of -1 for memory", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void Allocate_RowFormOfAColumnAllocator_RejectsBadWeightLikeTheEngine(double weight)
    {
        var policy = new HalfCapacityPolicy { Weight = weight };
        VmId[] vms = [new("x"), new("y")];
        ResourceVector[] templates = [ResourceVector.Fill(1), ResourceVector.Fill(1)];
        var caps = new ResourceVector[2];
        var weights = new ResourceVector[2];
        var rows = Assert.Throws<InvalidOperationException>(() => policy.Allocate(
            new AllocationInput(ResourceVector.Fill(4), ResourceSet.Cpu, vms, templates, templates, new ResourceVector[2]),
            new AllocationOutput(caps, weights)));
        Assert.Contains("VM 'x' a weight of", rows.Message, StringComparison.Ordinal);
        Assert.Contains("for cpu", rows.Message, StringComparison.Ordinal);

        var engine = new PeriodEngine(Predictors.Create("last"), new HalfCapacityPolicy { Weight = weight }, window: 3);
        var columns = Assert.Throws<InvalidOperationException>(() => engine.Run(
            ResourceVector.Fill(4), ResourceSet.Cpu, 2, [0, 1], vms, templates, templates, new ResourceVector[2], new ResourceVector[2], new ResourceVector[2]));
        Assert.Equal(rows.Message, columns.Message);
    }

    [Fact]
    public void Allocate_RowFormOfAColumnAllocator_SameDecisionAsTheEngine()
    {
        VmId[] vms = [new("x"), new("y"), new("z")];
        ResourceVector[] templates = [ResourceVector.Fill(1), ResourceVector.Fill(2), ResourceVector.Fill(0)];
        var caps = new ResourceVector[3];
        var weights = new ResourceVector[3];
        var input = new AllocationInput(ResourceVector.Fill(6), ResourceSet.All, vms, templates, templates, new ResourceVector[3]);
        new HalfCapacityPolicy { Weight = 2 }.Allocate(input, new AllocationOutput(caps, weights));

        var engine = new PeriodEngine(Predictors.Create("last"), new HalfCapacityPolicy { Weight = 2 }, window: 3);
        var engineCaps = new ResourceVector[3];
        var engineWeights = new ResourceVector[3];
        engine.Run(ResourceVector.Fill(6), ResourceSet.All, 3, [0, 1, 2], vms, templates, templates, default, default, new ResourceVector[3], new ResourceVector[3], engineCaps, engineWeights);

        Assert.Equal(ResourceVector.Fill(3), caps[2]);
        Assert.Equal(ResourceVector.Fill(2), weights[1]);
        Assert.Equal(caps, engineCaps);
        Assert.Equal(weights, engineWeights);
    }
}
