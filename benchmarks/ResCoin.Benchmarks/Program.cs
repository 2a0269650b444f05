using BenchmarkDotNet.Running;

// Runs the benchmarks named on the command line (BenchmarkDotNet's --filter etc.).
// Exits non-zero when any benchmark fails to build or run.
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
foreach (var summary in summaries)
{
    if (summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success))
    {
        return 1;
    }
}

return 0;
