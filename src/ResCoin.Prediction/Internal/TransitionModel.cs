namespace ResCoin.Prediction.Internal;

/// <summary>
/// A "what usually happens next" model for on/off, saturating and ramping workloads (batch jobs).
/// Each slot keeps a slowly decaying running maximum <c>M</c> as its scale and classifies the present into a cell:
/// the level <c>x / M</c> (4 bins) × the last change <c>(x − x_prev) / M</c> (5 bins: large fall, small fall,
/// flat within 2 %, small rise, large rise; 10 % separates small from large). Per cell it tracks the median of
/// the next relative change with a sign-step whose size is a fraction of the cell's mean absolute deviation
/// (so flat cells stay exactly flat). The estimate is <c>x + median(cell) · M</c>. Scale-invariant; O(1) per slot.
/// </summary>
internal sealed class TransitionModel : SlotModel
{
    private const int LevelBins = 4;
    private const int ChangeBins = 5;
    private const int Cells = LevelBins * ChangeBins;
    private const double SmallChange = 0.02;
    private const double LargeChange = 0.1;
    private const double MaxDecay = 0.9999;
    private const double DeviationAlpha = 0.2;
    private const double StepFraction = 0.1;

    // Per-slot layout: [0] running max, [1] previous value, [2] cell of the previous step + 1 (0 = none), then per cell
    // c the median of the next relative change at [3+2c] and its mean absolute deviation at [4+2c]: the two values a
    // step updates share a cache line (the state is megabytes at 10 000 slots, so lines touched are the cost).
    private const int Width = 3 + (2 * Cells);

    public override int StateWidth(ResourceKind resource) => Width;

    public override void Update(ResourceKind resource, ReadOnlySpan<double> observed, Span<double> estimates, Span<double> state, ReadOnlySpan<int> counts)
    {
        for (int i = 0; i < observed.Length; i++)
        {
            double x = observed[i];
            if (double.IsNaN(x))
            {
                continue;
            }

            Span<double> s = state.Slice(i * Width, Width);
            if (counts[i] == 0)
            {
                s.Clear();
            }

            double scale = Math.Max(x, s[0] * MaxDecay);
            s[0] = scale;
            if (!(scale > 0))
            {
                s[1] = x;
                s[2] = 0;
                estimates[i] = x;
                continue;
            }

            int previousCell = (int)s[2] - 1;
            double change = counts[i] == 0 ? 0 : (x - s[1]) / scale;
            if (previousCell >= 0)
            {
                ref double median = ref s[3 + (2 * previousCell)];
                ref double deviation = ref s[4 + (2 * previousCell)];
                double d = change - median;
                deviation += DeviationAlpha * (Math.Abs(d) - deviation);
                median += StepFraction * deviation * Math.Sign(d);
            }

            int cell = counts[i] == 0 ? -1 : Cell(x / scale, change);
            s[1] = x;
            s[2] = cell + 1;
            estimates[i] = cell < 0 ? x : x + (s[3 + (2 * cell)] * scale);
        }
    }

    private static int Cell(double level, double change)
    {
        int levelBin = Math.Min(LevelBins - 1, (int)(level * LevelBins));
        double magnitude = Math.Abs(change);
        int step = magnitude <= SmallChange ? 0 : magnitude <= LargeChange ? 1 : 2;
        int changeBin = change >= 0 ? 2 + step : 2 - step;
        return (levelBin * ChangeBins) + changeBin;
    }
}
