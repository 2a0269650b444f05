using System.Globalization;
using System.Text.Json;

namespace ResCoin.Simulation;

/// <summary>
/// Reads a scenario file: a JSON description of a host (capacity) and groups of VMs (count, template, limit, demand
/// per resource), so "what if" questions need no code. The schema is in the package README ("Scenario files").
/// </summary>
/// <remarks>
/// Every mistake is a <see cref="ScenarioFormatException"/> naming the field's path
/// (<c>groups[1].demand.cpu.burst: must be &gt;= 0</c>); unknown fields are mistakes too, so a typo never goes
/// unnoticed. The same file and seed always give the same scenario.
/// </remarks>
public static class ScenarioFile
{
    /// <summary>The period when the file gives no <c>periodSeconds</c>.</summary>
    public const double DefaultPeriodSeconds = 8;

    /// <summary>The seed when the file gives none.</summary>
    public const int DefaultSeed = 1;

    /// <summary>The most periods a scenario may have.</summary>
    public const int MaxPeriods = 10_000_000;

    /// <summary>The most VMs a scenario may have.</summary>
    public const int MaxVms = 100_000;

    /// <summary>The demand kinds (<c>demand.&lt;resource&gt;.kind</c>).</summary>
    public static IReadOnlyList<string> DemandKinds { get; } = Array.AsReadOnly(new[] { "constant", "onoff", "diurnal", "randomwalk", "trace" });

    private static readonly JsonDocumentOptions s_jsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Reads a scenario file.</summary>
    /// <param name="path">The file; <c>trace</c> paths in it are relative to its directory.</param>
    /// <param name="periods">When set, simulate only this many periods (at most the file's <c>periods</c>).</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ScenarioFormatException">The file is missing, unreadable, not JSON, or a field is wrong.</exception>
    public static SimulationScenario Load(string path, int? periods = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string problem = e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot read the file: {e.Message}";
            throw new ScenarioFormatException(path, string.Empty, problem, e);
        }

        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        return Parse(text, dir, path, periods);
    }

    /// <summary>Parses a scenario from JSON text.</summary>
    /// <param name="json">The JSON.</param>
    /// <param name="baseDirectory">The directory <c>trace</c> paths are relative to.</param>
    /// <param name="fileName">The name used in error messages and, without its extension, as the scenario's name unless the file has a <c>name</c>.</param>
    /// <param name="periods">When set, simulate only this many periods (at most the file's <c>periods</c>).</param>
    /// <returns>The scenario.</returns>
    /// <exception cref="ScenarioFormatException">The text is not JSON, or a field is wrong.</exception>
    public static SimulationScenario Parse(string json, string baseDirectory, string fileName, int? periods = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        ArgumentNullException.ThrowIfNull(fileName);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, s_jsonOptions);
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1;
            long column = (e.BytePositionInLine ?? 0) + 1;
            throw new ScenarioFormatException(fileName, string.Empty, FormattableString.Invariant($"line {line}, column {column}: not valid JSON"), e);
        }

        using (doc)
        {
            return new Reader(fileName, baseDirectory).Read(doc.RootElement, periods);
        }
    }

    /// <summary>Walks the document, keeping the file name for messages.</summary>
    private sealed class Reader(string fileName, string baseDirectory)
    {
        private static readonly string[] s_rootFields = ["name", "description", "periods", "periodSeconds", "seed", "capacity", "groups"];
        private static readonly string[] s_groupFields = ["name", "description", "count", "template", "limit", "demand"];
        private readonly Dictionary<string, VmWorkload> _traces = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyList<string>> _traceDirs = new(StringComparer.Ordinal);

        public SimulationScenario Read(JsonElement root, int? periodsOverride)
        {
            Fields(root, string.Empty, s_rootFields);
            string name = Optional(root, "name", out JsonElement n) ? Text(n, "name") : Path.GetFileNameWithoutExtension(fileName);
            if (Optional(root, "description", out JsonElement d))
            {
                Text(d, "description");
            }

            int periods = Integer(Required(root, "periods", string.Empty), "periods", 2, MaxPeriods);
            if (periodsOverride is int p)
            {
                if (p < 2 || p > periods)
                {
                    throw Error("periods", FormattableString.Invariant($"the file has {periods} periods; {p} cannot be simulated (2 to {periods})"));
                }

                periods = p;
            }

            double periodSeconds = Optional(root, "periodSeconds", out JsonElement ps) ? Number(ps, "periodSeconds", 0, exclusiveMin: true) : DefaultPeriodSeconds;
            if (periodSeconds > TimeSpan.FromDays(1).TotalSeconds)
            {
                throw Error("periodSeconds", "must be at most 86400 (one day)");
            }

            int seed = Optional(root, "seed", out JsonElement s) ? Integer(s, "seed", int.MinValue, int.MaxValue) : DefaultSeed;
            ResourceVector capacity = Resources(Required(root, "capacity", string.Empty), "capacity", 0, exclusiveMin: false, fill: 0);
            bool any = false;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                any |= capacity[r] > 0;
            }

            if (!any)
            {
                throw Error("capacity", "give at least one resource with a positive capacity, e.g. { \"cpu\": 32 }");
            }

            JsonElement groups = Required(root, "groups", string.Empty);
            if (groups.ValueKind != JsonValueKind.Array || groups.GetArrayLength() == 0)
            {
                throw Error("groups", "must be a non-empty array of VM groups");
            }

            var vms = new List<VmWorkload>();
            var templates = new List<ResourceVector>();
            var limits = new List<ResourceVector>();
            var hasTemplate = new List<ResourceSet>();
            var groupNames = new HashSet<string>(StringComparer.Ordinal);
            int g = 0;
            foreach (JsonElement group in groups.EnumerateArray())
            {
                string path = FormattableString.Invariant($"groups[{g}]");
                ReadGroup(group, path, g, periods, periodSeconds, seed, capacity, groupNames, vms, templates, limits, hasTemplate);
                g++;
            }

            FillTemplates(capacity, templates, hasTemplate);
            try
            {
                return SimulationScenario.FromTemplates(vms, capacity, templates, limits, TimeSpan.FromSeconds(periodSeconds), periods, start: null, name);
            }
            catch (ArgumentException e)
            {
                throw Error("groups", e.Message);
            }
        }

        private void ReadGroup(JsonElement group, string path, int g, int periods, double periodSeconds, int seed, ResourceVector capacity, HashSet<string> groupNames, List<VmWorkload> vms, List<ResourceVector> templates, List<ResourceVector> limits, List<ResourceSet> hasTemplate)
        {
            Fields(group, path, s_groupFields);
            string name = Text(Required(group, "name", path), path + ".name");
            if (name.Length == 0 || name.Length > 64 || !IsSimpleName(name))
            {
                throw Error(path + ".name", "must be 1 to 64 letters, digits, '-', '_' or '.'");
            }

            if (!groupNames.Add(name))
            {
                throw Error(path + ".name", $"another group is already named '{name}'");
            }

            if (Optional(group, "description", out JsonElement d))
            {
                Text(d, path + ".description");
            }

            int count = Optional(group, "count", out JsonElement c) ? Integer(c, path + ".count", 1, MaxVms) : 1;
            if (vms.Count + count > MaxVms)
            {
                throw Error(path + ".count", FormattableString.Invariant($"the scenario would have more than {MaxVms} VMs"));
            }

            ResourceVector template = default;
            ResourceSet templated = ResourceSet.None;
            if (Optional(group, "template", out JsonElement t))
            {
                template = Resources(t, path + ".template", 0, exclusiveMin: false, fill: double.NaN);
                templated = Present(template);
                CheckScheduled(template, capacity, path + ".template");
            }

            ResourceVector limit = ResourceVector.Fill(double.NaN);
            if (Optional(group, "limit", out JsonElement l))
            {
                limit = Resources(l, path + ".limit", 0, exclusiveMin: true, fill: double.NaN);
                CheckScheduled(limit, capacity, path + ".limit");
                for (int r = 0; r < ResourceKinds.Count; r++)
                {
                    if (template[r] > limit[r])
                    {
                        throw Error($"{path}.template.{ResourceKinds.Name((ResourceKind)r)}", FormattableString.Invariant($"{template[r]} is above the group's limit {limit[r]}"));
                    }
                }
            }

            var specs = new JsonElement?[ResourceKinds.Count];
            if (Optional(group, "demand", out JsonElement demand))
            {
                if (demand.ValueKind != JsonValueKind.Object)
                {
                    throw Error(path + ".demand", "must be an object: { \"cpu\": { \"kind\": ... }, ... }");
                }

                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (JsonProperty p in demand.EnumerateObject())
                {
                    string rp = $"{path}.demand.{p.Name}";
                    if (!seen.Add(p.Name))
                    {
                        throw Error(rp, "given twice");
                    }

                    if (!ResourceKinds.TryParse(p.Name, out ResourceKind kind) || !string.Equals(ResourceKinds.Name(kind), p.Name, StringComparison.Ordinal))
                    {
                        throw Error(rp, "unknown resource; valid: " + ResourceNames());
                    }

                    if (!(capacity[kind] > 0))
                    {
                        throw Error(rp, $"the host has no {p.Name} capacity; add capacity.{p.Name} or remove this");
                    }

                    specs[(int)kind] = p.Value;
                }
            }

            for (int k = 0; k < count; k++)
            {
                var series = new double[ResourceKinds.Count][];
                for (int r = 0; r < ResourceKinds.Count; r++)
                {
                    int vmSeed = unchecked((seed * 1_000_003) + (g * 7919) + (k * 131) + (r * 17) + 1);
                    series[r] = specs[r] is JsonElement spec
                        ? Demand(spec, $"{path}.demand.{ResourceKinds.Name((ResourceKind)r)}", (ResourceKind)r, periods, periodSeconds, vmSeed, k)
                        : new double[periods];
                    double cap = limit[r];
                    if (double.IsFinite(cap))
                    {
                        double[] x = series[r];
                        for (int i = 0; i < x.Length; i++)
                        {
                            x[i] = Math.Min(x[i], cap);
                        }
                    }
                }

                string vmName = count == 1 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}-{k + 1}");
                foreach (VmWorkload existing in vms)
                {
                    if (string.Equals(existing.Name, vmName, StringComparison.Ordinal))
                    {
                        throw Error(path + ".name", $"its VM '{vmName}' has the name of a VM of another group");
                    }
                }

                vms.Add(VmWorkload.Wrap(vmName, limit, series, [], name));
                templates.Add(template);
                limits.Add(limit);
                hasTemplate.Add(templated);
            }
        }

        // VMs without a template for a scheduled resource share equally what the explicit templates leave.
        private void FillTemplates(ResourceVector capacity, List<ResourceVector> templates, List<ResourceSet> hasTemplate)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                var kind = (ResourceKind)r;
                double sum = 0;
                int missing = 0;
                for (int i = 0; i < templates.Count; i++)
                {
                    if (hasTemplate[i].Contains(kind))
                    {
                        sum += templates[i][r];
                    }
                    else
                    {
                        missing++;
                    }
                }

                double c = capacity[r];
                if (c > 0 && sum > c * (1 + 1e-9))
                {
                    throw Error("groups", FormattableString.Invariant($"the {ResourceKinds.Name(kind)} templates add up to {sum} (count x template), more than capacity.{ResourceKinds.Name(kind)} {c}"));
                }

                double rest = missing > 0 && c > 0 ? Math.Max(0, c - sum) / missing : 0;
                for (int i = 0; i < templates.Count; i++)
                {
                    ResourceVector t = templates[i];
                    t[r] = hasTemplate[i].Contains(kind) && c > 0 ? t[r] : rest;
                    templates[i] = t;
                }
            }
        }

        private double[] Demand(JsonElement spec, string path, ResourceKind resource, int periods, double periodSeconds, int seed, int index)
        {
            if (spec.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, "must be an object with a \"kind\": " + string.Join(", ", DemandKinds));
            }

            string kind = Text(Required(spec, "kind", path), path + ".kind");
            switch (kind)
            {
                case "constant":
                {
                    Fields(spec, path, ["kind", "level", "noise"]);
                    double level = Amount(Required(spec, "level", path), path + ".level", 0, false);
                    return SyntheticWorkloads.Steady(periods, level, Noise(spec, path), seed);
                }

                case "onoff":
                {
                    Fields(spec, path, ["kind", "idle", "burst", "burstPeriods", "meanGapPeriods", "noise"]);
                    double idle = Amount(Required(spec, "idle", path), path + ".idle", 0, false);
                    double burst = Amount(Required(spec, "burst", path), path + ".burst", 0, false);
                    int burstPeriods = Integer(Required(spec, "burstPeriods", path), path + ".burstPeriods", 1, MaxPeriods);
                    double gap = Number(Required(spec, "meanGapPeriods", path), path + ".meanGapPeriods", 1, exclusiveMin: false);
                    return SyntheticWorkloads.Bursts(periods, idle, burst, burstPeriods, gap, Noise(spec, path), seed);
                }

                case "diurnal":
                {
                    Fields(spec, path, ["kind", "mean", "amplitude", "cyclePeriods", "phase", "noise"]);
                    double mean = Amount(Required(spec, "mean", path), path + ".mean", 0, false);
                    double amplitude = Amount(Required(spec, "amplitude", path), path + ".amplitude", 0, false);
                    double cycle = Optional(spec, "cyclePeriods", out JsonElement c) ? Number(c, path + ".cyclePeriods", 1, exclusiveMin: false) : Math.Max(1, 86_400 / periodSeconds);
                    double phase = Optional(spec, "phase", out JsonElement ph) ? Number(ph, path + ".phase", double.MinValue, exclusiveMin: false) : 0;
                    return SyntheticWorkloads.Diurnal(periods, mean, amplitude, cycle, phase, Noise(spec, path), seed);
                }

                case "randomwalk":
                {
                    Fields(spec, path, ["kind", "start", "step", "min", "max"]);
                    double start = Amount(Required(spec, "start", path), path + ".start", 0, false);
                    double step = Amount(Required(spec, "step", path), path + ".step", 0, false);
                    double min = Optional(spec, "min", out JsonElement mn) ? Amount(mn, path + ".min", 0, false) : 0;
                    double max = Amount(Required(spec, "max", path), path + ".max", 0, false);
                    if (max < min)
                    {
                        throw Error(path + ".max", FormattableString.Invariant($"must be >= min ({min})"));
                    }

                    return SyntheticWorkloads.RandomWalk(periods, Math.Clamp(start, min, max), step, min, max, seed);
                }

                case "trace":
                {
                    Fields(spec, path, ["kind", "file", "scale", "offset"]);
                    string file = Text(Required(spec, "file", path), path + ".file");
                    double scale = Optional(spec, "scale", out JsonElement sc) ? Number(sc, path + ".scale", 0, exclusiveMin: false) : 1;
                    int offset = Optional(spec, "offset", out JsonElement of) ? Integer(of, path + ".offset", 0, int.MaxValue) : 0;
                    ReadOnlySpan<double> source = Trace(file, path + ".file", index).GetDemand(resource);
                    var s = new double[periods];
                    for (int t = 0; t < periods; t++)
                    {
                        s[t] = source[(int)((offset + (long)t) % source.Length)] * scale;
                    }

                    return s;
                }

                default:
                    throw Error(path + ".kind", $"unknown kind '{kind}'; valid: {string.Join(", ", DemandKinds)}");
            }
        }

        private VmWorkload Trace(string file, string path, int index)
        {
            if (file.Length == 0)
            {
                throw Error(path, "is empty");
            }

            string full = Path.GetFullPath(Path.Combine(baseDirectory, file));
            if (Directory.Exists(full))
            {
                if (!_traceDirs.TryGetValue(full, out IReadOnlyList<string>? files))
                {
                    files = BitbrainsTraceReader.ListFiles(full);
                    _traceDirs[full] = files;
                }

                if (files.Count == 0)
                {
                    throw Error(path, $"no trace files (*.csv, *.csv.gz) in {file}");
                }

                full = files[index % files.Count];
            }
            else if (!File.Exists(full))
            {
                throw Error(path, $"not found: {file} (relative to the scenario file)");
            }

            if (!_traces.TryGetValue(full, out VmWorkload? vm))
            {
                try
                {
                    vm = BitbrainsTraceReader.ReadFile(full);
                }
                catch (TraceFormatException e)
                {
                    throw Error(path, e.Message, e);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw Error(path, $"cannot read {file}: {e.Message}", e);
                }

                _traces[full] = vm;
            }

            return vm;
        }

        private double Noise(JsonElement spec, string path)
            => Optional(spec, "noise", out JsonElement n) ? Number(n, path + ".noise", 0, exclusiveMin: false) : 0;

        private void CheckScheduled(ResourceVector v, ResourceVector capacity, string path)
        {
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (!double.IsNaN(v[r]) && !(capacity[r] > 0))
                {
                    string name = ResourceKinds.Name((ResourceKind)r);
                    throw Error($"{path}.{name}", $"the host has no {name} capacity; add capacity.{name} or remove this");
                }
            }
        }

        private static ResourceSet Present(ResourceVector v)
        {
            ResourceSet set = ResourceSet.None;
            for (int r = 0; r < ResourceKinds.Count; r++)
            {
                if (!double.IsNaN(v[r]))
                {
                    set = set.With((ResourceKind)r);
                }
            }

            return set;
        }

        private ResourceVector Resources(JsonElement e, string path, double min, bool exclusiveMin, double fill)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, "must be an object of resource amounts, e.g. { \"cpu\": 4, \"memory\": \"8GiB\" }");
            }

            ResourceVector v = ResourceVector.Fill(fill);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in e.EnumerateObject())
            {
                string rp = $"{path}.{p.Name}";
                if (!seen.Add(p.Name))
                {
                    throw Error(rp, "given twice");
                }

                if (!ResourceKinds.TryParse(p.Name, out ResourceKind kind) || !string.Equals(ResourceKinds.Name(kind), p.Name, StringComparison.Ordinal))
                {
                    throw Error(rp, "unknown resource; valid: " + ResourceNames());
                }

                v[kind] = Amount(p.Value, rp, min, exclusiveMin);
            }

            return v;
        }

        // A number, or a string with a unit: "8GiB", "200MiB/s", "1.5GB" (KiB/MiB/GiB/TiB = 1024^n, KB/MB/GB/TB = 1000^n).
        private double Amount(JsonElement e, string path, double min, bool exclusiveMin)
        {
            if (e.ValueKind == JsonValueKind.String)
            {
                string text = e.GetString()!.Trim();
                if (text.EndsWith("/s", StringComparison.Ordinal))
                {
                    text = text[..^2].TrimEnd();
                }

                double unit = 1;
                foreach ((string suffix, double factor) in s_units)
                {
                    if (text.EndsWith(suffix, StringComparison.Ordinal))
                    {
                        unit = factor;
                        text = text[..^suffix.Length].TrimEnd();
                        break;
                    }
                }

                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
                {
                    throw Error(path, $"'{e.GetString()}' is not an amount; give a number or a number with a unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, optionally /s)");
                }

                return Check(x * unit, path, min, exclusiveMin);
            }

            return Number(e, path, min, exclusiveMin);
        }

        private static readonly (string Suffix, double Factor)[] s_units =
        [
            ("KiB", 1024d), ("MiB", 1024d * 1024), ("GiB", 1024d * 1024 * 1024), ("TiB", 1024d * 1024 * 1024 * 1024),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1),
        ];

        private double Number(JsonElement e, string path, double min, bool exclusiveMin)
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double x) || !double.IsFinite(x))
            {
                throw Error(path, "must be a number");
            }

            return Check(x, path, min, exclusiveMin);
        }

        private double Check(double x, string path, double min, bool exclusiveMin)
        {
            if (exclusiveMin ? !(x > min) : !(x >= min))
            {
                throw Error(path, FormattableString.Invariant($"must be {(exclusiveMin ? ">" : ">=")} {min} (was {x})"));
            }

            return x;
        }

        private int Integer(JsonElement e, string path, int min, int max)
        {
            if (e.ValueKind != JsonValueKind.Number)
            {
                throw Error(path, "must be an integer");
            }

            if (!e.TryGetInt32(out int x))
            {
                throw Error(path, e.TryGetDouble(out double d) && Math.Floor(d) == d
                    ? FormattableString.Invariant($"must be between {min} and {max} (was {e.GetRawText()})")
                    : FormattableString.Invariant($"must be an integer (was {e.GetRawText()})"));
            }

            if (x < min || x > max)
            {
                throw Error(path, FormattableString.Invariant($"must be between {min} and {max} (was {x})"));
            }

            return x;
        }

        private string Text(JsonElement e, string path)
            => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Error(path, "must be a string");

        private JsonElement Required(JsonElement obj, string name, string path)
        {
            string at = path.Length == 0 ? name : $"{path}.{name}";
            return obj.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v : throw Error(at, "is required");
        }

        private static bool Optional(JsonElement obj, string name, out JsonElement value)
            => obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

        // The object's fields must be known and given once.
        private void Fields(JsonElement obj, string path, string[] known)
        {
            if (obj.ValueKind != JsonValueKind.Object)
            {
                throw path.Length == 0 ? Error(string.Empty, "the file must hold one JSON object") : Error(path, "must be an object");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in obj.EnumerateObject())
            {
                string at = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
                if (Array.IndexOf(known, p.Name) < 0)
                {
                    throw Error(at, $"unknown field; valid here: {string.Join(", ", known)}");
                }

                if (!seen.Add(p.Name))
                {
                    throw Error(at, "given twice");
                }
            }
        }

        private static bool IsSimpleName(string name)
        {
            foreach (char ch in name)
            {
                if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.'))
                {
                    return false;
                }
            }

            return true;
        }

        private static string ResourceNames()
        {
            var names = new string[ResourceKinds.Count];
            for (int r = 0; r < names.Length; r++)
            {
                names[r] = ResourceKinds.Name((ResourceKind)r);
            }

            return string.Join(", ", names);
        }

        private ScenarioFormatException Error(string field, string problem, Exception? inner = null) => new(fileName, field, problem, inner);
    }
}
