using Microsoft.Extensions.DependencyInjection;

namespace ResCoin;

/// <summary>Chains the cgroup monitor and actuator on <c>services.AddResCoin(...)</c>.</summary>
public static class CgroupResCoinBuilderExtensions
{
    /// <summary>
    /// Adds the cgroup monitor and actuator (<c>AddResCoinCgroups</c>): <c>services.AddResCoin(...).AddCgroups(o => ...)</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the cgroup options.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder AddCgroups(this IResCoinBuilder builder, Action<Cgroups.CgroupOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddResCoinCgroups(configure);
        return builder;
    }

    /// <summary>Adds the cgroup monitor and actuator with the options as configured elsewhere.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder AddCgroups(this IResCoinBuilder builder) => builder.AddCgroups(null);
}
