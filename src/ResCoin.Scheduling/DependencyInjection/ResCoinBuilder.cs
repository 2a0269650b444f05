using ResCoin;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The <see cref="IResCoinBuilder"/> returned by <c>AddResCoin</c>.</summary>
internal sealed class ResCoinBuilder(IServiceCollection services) : IResCoinBuilder
{
    public IServiceCollection Services { get; } = services;
}
