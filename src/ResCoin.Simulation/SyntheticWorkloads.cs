namespace ResCoin.Simulation;

/// <summary>
/// Seeded, deterministic demand generators (the same seed always gives the same series) and the built-in scenario
/// the simulator runs with no arguments. Every generator returns non-negative values.
/// </summary>
public static class SyntheticWorkloads
{
    private const double GiB = 1024d * 1024 * 1024;
    private const double MiB = 1024d * 1024;

    /// <summary>A constant level with Gaussian noise.</summary>
    /// <param name="length">Periods.</param>
    /// <param name="level">The mean level.</param>
    /// <param name="noise">The noise's standard deviation, as a fraction of the level.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The series.</returns>
    public static double[] Steady(int length, double level, double noise, int seed)
    {
        var rng = new Random(seed);
        var s = new double[length];
        for (int t = 0; t < length; t++)
        {
            s[t] = Clamp(level * (1 + (noise * Gaussian(rng))));
        }

        return s;
    }

    /// <summary>Bursty on/off: alternates between a low and a high level for geometrically distributed stretches.</summary>
    /// <param name="length">Periods.</param>
    /// <param name="low">The level while off.</param>
    /// <param name="high">The level while on.</param>
    /// <param name="meanOn">Mean length of an on stretch, in periods.</param>
    /// <param name="meanOff">Mean length of an off stretch, in periods.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The series.</returns>
    public static double[] OnOff(int length, double low, double high, double meanOn, double meanOff, int seed)
    {
        var rng = new Random(seed);
        var s = new double[length];
        bool on = false;
        for (int t = 0; t < length; t++)
        {
            double mean = on ? meanOn : meanOff;
            if (rng.NextDouble() < 1 / Math.Max(mean, 1))
            {
                on = !on;
            }

            double level = on ? high : low;
            s[t] = Clamp(level * (1 + (0.05 * Gaussian(rng))));
        }

        return s;
    }

    /// <summary>
    /// Idle with bursts of a fixed length: while idle, a burst starts each period with probability 1 / mean gap (so gaps
    /// are geometric with that mean); a burst lasts exactly <paramref name="burstPeriods"/> periods.
    /// </summary>
    /// <param name="length">Periods.</param>
    /// <param name="idle">The level between bursts.</param>
    /// <param name="burst">The level during a burst.</param>
    /// <param name="burstPeriods">The length of a burst, in periods (at least 1).</param>
    /// <param name="meanGapPeriods">The mean gap between bursts, in periods (at least 1).</param>
    /// <param name="noise">Gaussian noise, standard deviation as a fraction of the level.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The series.</returns>
    public static double[] Bursts(int length, double idle, double burst, int burstPeriods, double meanGapPeriods, double noise, int seed)
    {
        var rng = new Random(seed);
        var s = new double[length];
        int left = 0;
        double p = 1 / Math.Max(meanGapPeriods, 1);
        for (int t = 0; t < length; t++)
        {
            if (left == 0 && rng.NextDouble() < p)
            {
                left = Math.Max(burstPeriods, 1);
            }

            double level = left > 0 ? burst : idle;
            if (left > 0)
            {
                left--;
            }

            s[t] = Clamp(noise > 0 ? level * (1 + (noise * Gaussian(rng))) : level);
        }

        return s;
    }

    /// <summary>A daily-style sine cycle with noise: <c>mean + amplitude × sin(2π(t / cycle) + phase)</c>.</summary>
    /// <param name="length">Periods.</param>
    /// <param name="mean">The mean level.</param>
    /// <param name="amplitude">The amplitude.</param>
    /// <param name="cycle">The cycle length, in periods.</param>
    /// <param name="phase">The phase, in radians.</param>
    /// <param name="noise">Noise standard deviation, as a fraction of the mean.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The series.</returns>
    public static double[] Diurnal(int length, double mean, double amplitude, double cycle, double phase, double noise, int seed)
    {
        var rng = new Random(seed);
        var s = new double[length];
        for (int t = 0; t < length; t++)
        {
            s[t] = Clamp(mean + (amplitude * Math.Sin((2 * Math.PI * t / Math.Max(cycle, 1)) + phase)) + (noise * mean * Gaussian(rng)));
        }

        return s;
    }

    /// <summary>A linear ramp from <paramref name="start"/> to <paramref name="end"/> with noise.</summary>
    /// <param name="length">Periods.</param>
    /// <param name="start">The first level.</param>
    /// <param name="end">The last level.</param>
    /// <param name="noise">Noise standard deviation, as a fraction of the current level.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The series.</returns>
    public static double[] Ramp(int length, double start, double end, double noise, int seed)
    {
        var rng = new Random(seed);
        var s = new double[length];
        for (int t = 0; t < length; t++)
        {
            double level = start + ((end - start) * t / Math.Max(length - 1, 1));
            s[t] = Clamp(level * (1 + (noise * Gaussian(rng))));
        }

        return s;
    }

    /// <summary>Idle, then a spike: a small level with short spikes of <paramref name="spikeLength"/> periods every <paramref name="every"/> periods (first after <paramref name="idleFirst"/>).</summary>
    /// <param name="length">Periods.</param>
    /// <param name="idle">The idle level.</param>
    /// <param name="spike">The spike level.</param>
    /// <param name="idleFirst">Periods before the first spike.</param>
    /// <param name="spikeLength">Length of a spike, in periods.</param>
    /// <param name="every">Distance between spike starts, in periods.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The series.</returns>
    public static double[] IdleThenSpike(int length, double idle, double spike, int idleFirst, int spikeLength, int every, int seed)
    {
        var rng = new Random(seed);
        var s = new double[length];
        every = Math.Max(every, 1);
        for (int t = 0; t < length; t++)
        {
            bool inSpike = t >= idleFirst && ((t - idleFirst) % every) < spikeLength;
            double level = inSpike ? spike : idle;
            s[t] = Clamp(level * (1 + (0.05 * Gaussian(rng))));
        }

        return s;
    }

    /// <summary>A bounded random walk.</summary>
    /// <param name="length">Periods.</param>
    /// <param name="start">The first level.</param>
    /// <param name="step">The standard deviation of one step.</param>
    /// <param name="min">The lowest level.</param>
    /// <param name="max">The highest level.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The series.</returns>
    public static double[] RandomWalk(int length, double start, double step, double min, double max, int seed)
    {
        var rng = new Random(seed);
        var s = new double[length];
        double level = start;
        for (int t = 0; t < length; t++)
        {
            level = Math.Clamp(level + (step * Gaussian(rng)), min, max);
            s[t] = Clamp(level);
        }

        return s;
    }

    /// <summary>The number of VMs of the built-in scenario.</summary>
    public const int DefaultVmCount = 12;

    /// <summary>
    /// The built-in scenario: by default 12 VMs (two each of steady, bursty on/off, diurnal sine, ramp,
    /// idle-then-spike and random walk, the second of each pair twice as large) with demand on every resource,
    /// deterministic for a seed. More VMs repeat the six kinds with other seeds. Each VM's <see cref="VmWorkload.Group"/>
    /// is its kind (<c>steady</c>, <c>bursty</c>, <c>diurnal</c>, <c>ramp</c>, <c>spike</c>, <c>walk</c>).
    /// </summary>
    /// <param name="periods">Periods to generate.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="vmCount">The number of VMs.</param>
    /// <returns>The VMs.</returns>
    public static IReadOnlyList<VmWorkload> CreateDefaultScenario(int periods, int seed, int vmCount = DefaultVmCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(periods, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(vmCount, 1);
        var vms = new List<VmWorkload>(vmCount);
        string[] kinds = ["steady", "bursty", "diurnal", "ramp", "spike", "walk"];
        for (int round = 0; vms.Count < vmCount; round++)
        {
            for (int k = 0; k < kinds.Length && vms.Count < vmCount; k++)
            {
                int copy = round % 2;
                int index = vms.Count;
                double cores = copy == 0 ? 2 : 4;
                double memory = (copy == 0 ? 4 : 8) * GiB;
                var demand = new double[ResourceKinds.Count][];
                for (int r = 0; r < ResourceKinds.Count; r++)
                {
                    int s = unchecked((seed * 7919) + (index * 131) + (r * 17) + 1);
                    double scale = r switch
                    {
                        (int)ResourceKind.Cpu => cores,
                        (int)ResourceKind.Memory => memory,
                        (int)ResourceKind.DiskRead or (int)ResourceKind.DiskWrite => 80 * MiB,
                        _ => 40 * MiB,
                    };
                    double[] shape = Shape(kinds[k], periods, copy, s);
                    if (r != (int)ResourceKind.Memory && kinds[k] != "spike")
                    {
                        // A host-wide busy/quiet cycle shared by the VMs, so peaks coincide and the host is contended.
                        for (int t = 0; t < periods; t++)
                        {
                            shape[t] *= 1 + (0.35 * Math.Sin(2 * Math.PI * t / 240));
                        }
                    }

                    if (r == (int)ResourceKind.Memory)
                    {
                        // Memory moves slowly: a resident base plus a smoothed share of the shape.
                        double smooth = shape[0];
                        for (int t = 0; t < periods; t++)
                        {
                            smooth += 0.1 * (shape[t] - smooth);
                            shape[t] = 0.25 + (0.7 * smooth);
                        }
                    }

                    for (int t = 0; t < periods; t++)
                    {
                        shape[t] *= scale;
                    }

                    demand[r] = shape;
                }

                string name = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kinds[k]}-{round + 1}");
                vms.Add(VmWorkload.Wrap(name, new ResourceVector(cores, memory, double.NaN, double.NaN, double.NaN, double.NaN), demand, [], kinds[k]));
            }
        }

        return vms;
    }

    // A shape in units of "fraction of the VM's size" (may exceed 1 briefly: demand beyond the template).
    private static double[] Shape(string kind, int n, int copy, int seed) => kind switch
    {
        "steady" => Steady(n, copy == 0 ? 0.45 : 0.3, 0.08, seed),
        "bursty" => OnOff(n, 0.05, copy == 0 ? 1.1 : 0.9, 12, 25, seed),
        "diurnal" => Diurnal(n, 0.5, 0.4, copy == 0 ? 150 : 220, copy * 2.0, 0.05, seed),
        "ramp" => Ramp(n, copy == 0 ? 0.05 : 0.9, copy == 0 ? 0.95 : 0.1, 0.05, seed),
        "spike" => IdleThenSpike(n, 0.03, 1.2, copy == 0 ? 60 : 100, 15, copy == 0 ? 90 : 120, seed),
        _ => RandomWalk(n, 0.4, 0.04, 0.02, 1.0, seed),
    };

    private static double Clamp(double v) => v > 0 && double.IsFinite(v) ? v : 0;

    private static double Gaussian(Random rng)
    {
        // Box-Muller; 1 - NextDouble() is in (0, 1].
        double u1 = 1 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
