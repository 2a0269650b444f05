namespace ResCoin;

/// <summary>Measures every running VM of a host once per period (one batch call, not one call per VM).</summary>
public interface IMonitor
{
    /// <summary>
    /// Fills <paramref name="snapshot"/> (already cleared by the caller) with the current time, the measured
    /// interval, the host's capacity and one sample per running VM.
    /// </summary>
    /// <param name="snapshot">The snapshot to fill.</param>
    /// <param name="cancellationToken">Cancels the sample.</param>
    /// <returns>A task that completes when the snapshot is filled.</returns>
    ValueTask SampleAsync(HostSnapshot snapshot, CancellationToken cancellationToken);
}
