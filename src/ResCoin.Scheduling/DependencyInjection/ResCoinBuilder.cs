namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <see cref="ResCoinServiceCollectionExtensions.AddResCoin"/> for chaining (monitor and actuator registrations, hosting).</summary>
public sealed class ResCoinBuilder
{
    internal ResCoinBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection ResCoin was added to.</summary>
    public IServiceCollection Services { get; }
}
