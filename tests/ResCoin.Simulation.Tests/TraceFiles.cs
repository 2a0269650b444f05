using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace ResCoin.Simulation.Tests;

/// <summary>Writes Bitbrains-format files (";" + TAB, 11 columns) into a temporary directory that is deleted on dispose.</summary>
internal sealed class TraceFiles : IDisposable
{
    public const string Header = "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tCPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB];\tDisk read throughput [KB/s];\tDisk write throughput [KB/s];\tNetwork received throughput [KB/s];\tNetwork transmitted throughput [KB/s]";

    public TraceFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "rescoin-sim-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public static string Row(long ts, double cores, double capMhz, double usageMhz, double memCapKb, double memKb, double diskRead = 0, double diskWrite = 0, double netRx = 0, double netTx = 0)
    {
        double pct = capMhz > 0 ? usageMhz / capMhz * 100 : 0;
        return string.Join(";\t", new[] { ts, cores, capMhz, usageMhz, pct, memCapKb, memKb, diskRead, diskWrite, netRx, netTx }
            .Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
    }

    public string Write(string name, IEnumerable<string> rows, bool header = true)
    {
        string path = Path.Combine(Directory, name);
        var text = new StringBuilder();
        if (header)
        {
            text.Append(Header).Append('\n');
        }

        foreach (string r in rows)
        {
            text.Append(r).Append('\n');
        }

        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (name.EndsWith(".gz", StringComparison.Ordinal))
        {
            using FileStream f = File.Create(path);
            using var gz = new GZipStream(f, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }

        return path;
    }

    /// <summary>A small but realistic trace: <paramref name="vms"/> VMs of <paramref name="rows"/> rows with different shapes, some anomalies.</summary>
    public void WriteSyntheticSet(int vms, int rows, int seed)
    {
        var rng = new Random(seed);
        for (int v = 1; v <= vms; v++)
        {
            double cores = 1 + (v % 4);
            double mhzPerCore = 2600;
            var lines = new List<string>();
            for (int t = 0; t < rows; t++)
            {
                double phase = Math.Sin((2 * Math.PI * t / 48) + v);
                double load = v % 3 switch
                {
                    0 => 0.2 + (0.7 * Math.Max(phase, 0)),            // diurnal
                    1 => (t / 10 % 3 == 0) ? 0.95 : 0.05,              // bursty
                    _ => 0.3 + (0.2 * rng.NextDouble()),               // noisy steady
                };
                double usage = load * cores * mhzPerCore;
                double memCap = cores * 2 * 1024 * 1024;
                double mem = memCap * (0.3 + (0.4 * load));
                long ts = 1_375_308_176 + (t * 300L) + (v * 7);
                lines.Add(Row(ts, cores, cores * mhzPerCore, usage, memCap, mem, 100 * load * v, 50 * load, 20 * load * v, 10 * load));
            }

            Write(v % 2 == 0 ? $"{v}.csv.gz" : $"{v}.csv", lines);
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
