namespace ResCoin.Simulation;

/// <summary>A <see cref="TimeProvider"/> whose time moves only when told (simulated time is deterministic).</summary>
internal sealed class SimulationClock : TimeProvider
{
    private DateTimeOffset _now;

    public SimulationClock(DateTimeOffset start) => _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
