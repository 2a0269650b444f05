using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ResCoin.Collections;
using ResCoin.Scheduling.Control;

namespace ResCoin.Scheduling.Tests;

public sealed class CreditLedgerTests
{
    /// <summary>A script of ledger operations: (slot, value) pushes, NaN meaning "skip" and -0.0 meaning "reset the slot".</summary>
    public sealed record Script(int Window, int Slots, (int Slot, double Value)[] Steps);

    public static class ScriptArbitraries
    {
        public static Arbitrary<Script> Script() => Arb.From(
            from window in Gen.Frequency((3, Gen.Constant(1)), (5, Gen.Choose(2, 12)), (1, Gen.Choose(13, 200)))
            from slots in Gen.Choose(1, 5)
            from length in Gen.Choose(0, 400)
            from scale in Gen.Elements(1.0, 1e-6, 1e9, 1e15)
            from steps in Gen.ArrayOf(
                from slot in Gen.Choose(0, slots - 1)
                from kind in Gen.Frequency((20, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)))
                from mantissa in Gen.Choose(-1_000_000, 1_000_000)
                from exponent in Gen.Choose(-9, 0)
                select (slot, kind == 1 ? double.NaN : kind == 2 ? -0.0 : mantissa / 1e6 * scale * Math.Pow(10, exponent)),
                length)
            select new Script(window, slots, steps));
    }

    [Property(MaxTest = 10000, Arbitrary = [typeof(ScriptArbitraries)])]
    public void Credit_AnySequence_EqualsNaiveWindowSumAndSlidingWindowSum(Script script)
    {
        var ledger = new CreditLedger(script.Window, initialSlots: 1);
        ledger.EnsureSlots(script.Slots);
        var naive = Enumerable.Range(0, script.Slots).Select(_ => new List<double>()).ToArray();
        var reference = Enumerable.Range(0, script.Slots).Select(_ => new SlidingWindowSum(script.Window)).ToArray();
        foreach ((int slot, double value) in script.Steps)
        {
            if (double.IsNaN(value))
            {
                continue; // not measured: nothing pushed
            }

            if (value == 0 && double.IsNegative(value))
            {
                ledger.Reset(slot);
                naive[slot].Clear();
                reference[slot].Clear();
                continue;
            }

            ledger.Push(ResourceKind.DiskWrite, slot, value);
            naive[slot].Add(value);
            reference[slot].Push(value);
            for (int s = 0; s < script.Slots; s++)
            {
                List<double> terms = naive[s];
                double exact = (double)terms.Skip(Math.Max(0, terms.Count - script.Window)).Select(x => (decimal)x).Sum();
                double magnitude = terms.Skip(Math.Max(0, terms.Count - script.Window)).Sum(Math.Abs);
                double credit = ledger.Credit(ResourceKind.DiskWrite, s);
                Assert.True(Math.Abs(credit - exact) <= (1e-12 * magnitude) + 1e-300, $"slot {s}: ledger {credit:R}, naive {exact:R}");
                Assert.True(Math.Abs(credit - reference[s].Sum) <= 1e-12 * magnitude, $"slot {s}: ledger {credit:R}, SlidingWindowSum {reference[s].Sum:R}");
                Assert.Equal(0, ledger.Credit(ResourceKind.Cpu, s));
            }
        }
    }

    [Fact]
    public void Credit_LongRunOfLargeAndTinyTerms_DoesNotDrift()
    {
        var ledger = new CreditLedger(10);
        for (int i = 0; i < 1_000_000; i++)
        {
            ledger.Push(ResourceKind.Cpu, 0, i % 2 == 0 ? 1e16 : -1e16 + 0.1);
        }

        // The last 10 terms are 5 pairs of (1e16, -1e16 + 0.1): exactly 0.5 (up to the representable 0.1).
        double expected = 5 * ((-1e16 + 0.1) + 1e16);
        Assert.Equal(expected, ledger.Credit(ResourceKind.Cpu, 0), 6);
    }

    [Fact]
    public void Grow_KeepsExistingCredits()
    {
        var ledger = new CreditLedger(3, initialSlots: 1);
        ledger.Push(ResourceKind.Memory, 0, 5);
        ledger.Push(ResourceKind.Memory, 0, 7);
        ledger.EnsureSlots(100);
        ledger.Push(ResourceKind.Memory, 99, 1);
        ledger.Push(ResourceKind.Memory, 0, 1);
        ledger.Push(ResourceKind.Memory, 0, 2);
        Assert.Equal(10, ledger.Credit(ResourceKind.Memory, 0));
        Assert.Equal(1, ledger.Credit(ResourceKind.Memory, 99));
    }
}
