using System.Buffers;
using System.Text.Json;

namespace ResCoin.Scheduling.Control;

/// <summary>
/// Appends one JSON line per period to a file: index, timestamp, resources, capacity and, per VM, template, usage,
/// estimate, allocation and credit for the scheduled resources (NaN written as null). Built with a reused
/// <see cref="Utf8JsonWriter"/> over a reused buffer.
/// </summary>
internal sealed class DecisionLog : IDisposable, IPeriodObserver
{
    private static readonly JsonEncodedText s_index = JsonEncodedText.Encode("index");
    private static readonly JsonEncodedText s_timestamp = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText s_resources = JsonEncodedText.Encode("resources");
    private static readonly JsonEncodedText s_capacity = JsonEncodedText.Encode("capacity");
    private static readonly JsonEncodedText s_vms = JsonEncodedText.Encode("vms");
    private static readonly JsonEncodedText s_vm = JsonEncodedText.Encode("vm");
    private static readonly JsonEncodedText s_template = JsonEncodedText.Encode("template");
    private static readonly JsonEncodedText s_usage = JsonEncodedText.Encode("usage");
    private static readonly JsonEncodedText s_estimate = JsonEncodedText.Encode("estimate");
    private static readonly JsonEncodedText s_cap = JsonEncodedText.Encode("cap");
    private static readonly JsonEncodedText s_weight = JsonEncodedText.Encode("weight");
    private static readonly JsonEncodedText s_credit = JsonEncodedText.Encode("credit");
    private static readonly JsonEncodedText[] s_names = BuildNames();
    private static readonly byte[] s_newline = [(byte)'\n'];

    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _writer;

    public DecisionLog(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 1);
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = false, Indented = false });
    }

    /// <summary>Writes one line describing <paramref name="period"/>.</summary>
    /// <summary>Writes the period when it was computed (a failed sample or computation writes nothing).</summary>
    public void OnPeriodCompleted(in PeriodResult result, ControllerPeriod period)
    {
        if (result.Computed)
        {
            Write(period);
        }
    }

    public void Write(ControllerPeriod period)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        ResourceSet resources = period.Resources;
        _writer.WriteStartObject();
        _writer.WriteNumber(s_index, period.Index);
        _writer.WriteString(s_timestamp, period.Timestamp);
        _writer.WriteStartArray(s_resources);
        foreach (ResourceKind r in ResourceKinds.All)
        {
            if (resources.Contains(r))
            {
                _writer.WriteStringValue(s_names[(int)r]);
            }
        }

        _writer.WriteEndArray();
        WriteVector(s_capacity, period.Capacity, resources);
        _writer.WriteStartArray(s_vms);
        ReadOnlySpan<VmId> vms = period.Vms;
        for (int i = 0; i < vms.Length; i++)
        {
            _writer.WriteStartObject();
            _writer.WriteString(s_vm, vms[i].Name);
            WriteVector(s_template, period.Templates[i], resources);
            WriteVector(s_usage, period.Usage[i], resources);
            WriteVector(s_estimate, period.Estimates[i], resources);
            WriteVector(s_cap, period.Caps[i], resources);
            WriteVector(s_weight, period.Weights[i], resources);
            WriteVector(s_credit, period.Credits[i], resources);
            _writer.WriteEndObject();
        }

        _writer.WriteEndArray();
        _writer.WriteEndObject();
        _writer.Flush();
        _stream.Write(_buffer.WrittenSpan);
        _stream.Write(s_newline);
        _stream.Flush();
    }

    public void Dispose()
    {
        _writer.Dispose();
        _stream.Dispose();
    }

    private void WriteVector(JsonEncodedText name, in ResourceVector v, ResourceSet resources)
    {
        _writer.WriteStartObject(name);
        foreach (ResourceKind r in ResourceKinds.All)
        {
            if (!resources.Contains(r))
            {
                continue;
            }

            double x = v[r];
            if (double.IsFinite(x))
            {
                _writer.WriteNumber(s_names[(int)r], x);
            }
            else
            {
                _writer.WriteNull(s_names[(int)r]);
            }
        }

        _writer.WriteEndObject();
    }

    private static JsonEncodedText[] BuildNames()
    {
        var names = new JsonEncodedText[ResourceKinds.Count];
        foreach (ResourceKind r in ResourceKinds.All)
        {
            names[(int)r] = JsonEncodedText.Encode(ResourceKinds.Name(r));
        }

        return names;
    }
}
