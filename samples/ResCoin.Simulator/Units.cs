using System.Globalization;

namespace ResCoin.Simulator;

/// <summary>Human units for tables and charts (JSON keeps the base units).</summary>
internal static class Units
{
    public static double Scale(ResourceKind kind) => kind switch
    {
        ResourceKind.Cpu => 1,
        ResourceKind.Memory => 1024d * 1024 * 1024,
        _ => 1024d * 1024,
    };

    public static string Name(ResourceKind kind) => kind switch
    {
        ResourceKind.Cpu => "cores",
        ResourceKind.Memory => "GiB",
        _ => "MiB/s",
    };

    public static string Format(double value, ResourceKind kind)
        => (value / Scale(kind)).ToString(Math.Abs(value / Scale(kind)) >= 100 ? "F1" : "F3", CultureInfo.InvariantCulture);

    public static string Percent(double value, int decimals = 2)
        => double.IsNaN(value) ? "–" : (value * 100).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + " %";

    public static string Ratio(double value) => double.IsNaN(value) ? "–" : value.ToString("F3", CultureInfo.InvariantCulture);
}
