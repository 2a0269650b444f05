using ResCoin.Scheduling;

namespace ResCoin.Simulation;

/// <summary>
/// Records, as an observer of the controller's periods, the series the simulator's charts draw: per recorded VM the
/// CPU demand, served amount, cap and weight in effect and credit, and per resource Jain's index of the period.
/// </summary>
internal sealed class PeriodRecorder : IPeriodObserver
{
    private readonly SimulatedHost _host;
    private readonly VmId[] _ids;
    private readonly int[] _record;
    private readonly int _periods;
    private int _t;

    public PeriodRecorder(SimulationScenario scenario, SimulatedHost host, VmId[] ids, int[] record)
    {
        _host = host;
        _ids = ids;
        _record = record;
        _periods = scenario.Periods;
        Demand = NewSeries(record.Length, _periods);
        Served = NewSeries(record.Length, _periods);
        Cap = NewSeries(record.Length, _periods);
        Weight = NewSeries(record.Length, _periods);
        Credit = NewSeries(record.Length, _periods);
        Jain = NewSeries(ResourceKinds.Count, _periods);
        for (int k = 0; k < record.Length; k++)
        {
            scenario.Vms[record[k]].GetDemand(ResourceKind.Cpu)[.._periods].CopyTo(Demand[k]);
        }

        // The first period runs under the host's own settings (no controller yet).
        RecordSettings(0);
    }

    public double[][] Demand { get; }

    public double[][] Served { get; }

    public double[][] Cap { get; }

    public double[][] Weight { get; }

    public double[][] Credit { get; }

    public double[][] Jain { get; }

    public void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period)
    {
        int t = _t++;
        if (t >= _periods)
        {
            return;
        }

        ReadOnlySpan<VmId> vms = period.Vms;
        for (int k = 0; k < _record.Length; k++)
        {
            int vm = _record[k];
            Served[k][t] = _host.LastServed[vm].Cpu;
            int at = !result.Computed ? -1 : vm < vms.Length && vms[vm] == _ids[vm] ? vm : period.IndexOf(_ids[vm]);
            Credit[k][t] = at >= 0 ? period.Credits[at].Cpu : double.NaN;
        }

        ResourceVector j = _host.LastJain;
        for (int r = 0; r < ResourceKinds.Count; r++)
        {
            Jain[r][t] = j[r];
        }

        // What the actuator just applied is in effect during the next period.
        if (t + 1 < _periods)
        {
            RecordSettings(t + 1);
        }
    }

    private void RecordSettings(int t)
    {
        for (int k = 0; k < _record.Length; k++)
        {
            Cap[k][t] = _host.Caps[_record[k]].Cpu;
            Weight[k][t] = _host.Weights[_record[k]].Cpu;
        }
    }

    private static double[][] NewSeries(int count, int length)
    {
        var s = new double[count][];
        for (int i = 0; i < count; i++)
        {
            s[i] = new double[length];
        }

        return s;
    }
}
