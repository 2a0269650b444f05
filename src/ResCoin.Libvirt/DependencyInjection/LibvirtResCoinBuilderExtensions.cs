using Microsoft.Extensions.DependencyInjection;

namespace ResCoin;

/// <summary>Chains the libvirt monitor and actuator on <c>services.AddResCoin(...)</c>.</summary>
public static class LibvirtResCoinBuilderExtensions
{
    /// <summary>
    /// Adds the libvirt monitor and actuator (<c>AddResCoinLibvirt</c>): <c>services.AddResCoin(...).AddLibvirt(o => ...)</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the libvirt options.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder AddLibvirt(this IResCoinBuilder builder, Action<Libvirt.LibvirtOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddResCoinLibvirt(configure);
        return builder;
    }

    /// <summary>Adds the libvirt monitor and actuator with the options as configured elsewhere.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder AddLibvirt(this IResCoinBuilder builder) => builder.AddLibvirt(null);
}
