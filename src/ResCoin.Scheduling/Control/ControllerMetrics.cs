using System.Diagnostics.Metrics;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// The controller's instruments on the <c>ResCoin</c> meter. Per-VM gauges read the last period when a collector
/// asks (nothing is allocated per period); the histogram and counters are recorded once per period.
/// </summary>
internal sealed class ControllerMetrics : IDisposable
{
    public const string MeterName = "ResCoin";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly ControllerPeriod _period;
    private readonly IPredictor _predictor;
    private readonly Lock _gate;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _periods;
    private readonly Counter<long> _failures;

    public ControllerMetrics(IMeterFactory? meterFactory, ControllerPeriod period, IPredictor predictor, Lock gate)
    {
        _period = period;
        _predictor = predictor;
        _gate = gate;
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(new MeterOptions(MeterName));
        }
        else
        {
            _meter = new Meter(MeterName);
            _ownsMeter = true;
        }

        _meter.CreateObservableGauge("rescoin.vm.usage", () => ObserveVms(0), description: "Measured usage per VM and resource (cores, bytes, bytes/s).");
        _meter.CreateObservableGauge("rescoin.vm.estimate", () => ObserveVms(1), description: "Predicted demand per VM and resource.");
        _meter.CreateObservableGauge("rescoin.vm.cap", () => ObserveVms(2), description: "Cap (hard limit) per VM and resource; absent where the VM is not capped.");
        _meter.CreateObservableGauge("rescoin.vm.weight", () => ObserveVms(5), description: "Weight per VM and resource (1 = the kernel's default); absent where none is set.");
        _meter.CreateObservableGauge("rescoin.vm.credit", () => ObserveVms(3), description: "Credit (unused entitlement over the window) per VM and resource.");
        _meter.CreateObservableGauge("rescoin.vm.template", () => ObserveVms(4), description: "Template (entitlement) per VM and resource.");
        _meter.CreateObservableGauge("rescoin.host.capacity", ObserveCapacity, description: "Capacity divided per resource, after reserves.");
        _meter.CreateObservableGauge("rescoin.vms", ObserveCount, description: "VMs in the last period.");
        _meter.CreateObservableGauge("rescoin.prediction.mae", () => ObserveError(0), description: "Mean absolute one-step prediction error per resource.");
        _meter.CreateObservableGauge("rescoin.prediction.rmse", () => ObserveError(1), description: "Root mean squared one-step prediction error per resource.");
        _meter.CreateObservableGauge("rescoin.prediction.underprediction_rate", () => ObserveError(2), description: "Share of predictions below the actual usage per resource.");
        _duration = _meter.CreateHistogram<double>("rescoin.period.duration", unit: "s", description: "Duration of one control period (sample, compute, actuate).");
        _periods = _meter.CreateCounter<long>("rescoin.periods", description: "Control periods run.");
        _failures = _meter.CreateCounter<long>("rescoin.period.failures", description: "Control periods that failed, by stage (monitor, compute, actuate, log).");
    }

    public Meter Meter => _meter;

    public void PeriodDone(double seconds)
    {
        _duration.Record(seconds);
        _periods.Add(1);
    }

    public void Failed(string stage) => _failures.Add(1, new KeyValuePair<string, object?>("stage", stage));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private List<Measurement<double>> ObserveVms(int which)
    {
        lock (_gate)
        {
            ControllerPeriod p = _period;
            ReadOnlySpan<ResourceVector> values = which switch
            {
                0 => p.Usage,
                1 => p.Estimates,
                2 => p.Caps,
                3 => p.Credits,
                5 => p.Weights,
                _ => p.Templates,
            };
            ReadOnlySpan<VmId> vms = p.Vms;
            List<Measurement<double>> list = new(vms.Length * ResourceKinds.Count);
            for (int i = 0; i < vms.Length; i++)
            {
                foreach (ResourceKind r in ResourceKinds.All)
                {
                    double v = values[i][r];
                    if (!double.IsNaN(v) && (which == 0 || p.Resources.Contains(r)))
                    {
                        list.Add(new Measurement<double>(
                            v,
                            new KeyValuePair<string, object?>("vm", vms[i].Name),
                            new KeyValuePair<string, object?>("resource", ResourceKinds.Name(r))));
                    }
                }
            }

            return list;
        }
    }

    private List<Measurement<double>> ObserveCapacity()
    {
        lock (_gate)
        {
            List<Measurement<double>> list = new(ResourceKinds.Count);
            foreach (ResourceKind r in ResourceKinds.All)
            {
                double v = _period.Capacity[r];
                if (!double.IsNaN(v))
                {
                    list.Add(new Measurement<double>(v, new KeyValuePair<string, object?>("resource", ResourceKinds.Name(r))));
                }
            }

            return list;
        }
    }

    private int ObserveCount()
    {
        lock (_gate)
        {
            return _period.Count;
        }
    }

    private List<Measurement<double>> ObserveError(int which)
    {
        lock (_gate)
        {
            List<Measurement<double>> list = new(ResourceKinds.Count);
            foreach (ResourceKind r in ResourceKinds.All)
            {
                PredictionError e = _predictor.GetError(r);
                if (e.Count == 0)
                {
                    continue;
                }

                double v = which switch
                {
                    0 => e.Mae,
                    1 => e.Rmse,
                    _ => e.UnderPredictionRate,
                };
                list.Add(new Measurement<double>(
                    v,
                    new KeyValuePair<string, object?>("resource", ResourceKinds.Name(r)),
                    new KeyValuePair<string, object?>("predictor", _predictor.Name)));
            }

            return list;
        }
    }
}
