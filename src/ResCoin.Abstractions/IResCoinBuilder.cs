using Microsoft.Extensions.DependencyInjection;

namespace ResCoin;

/// <summary>
/// What <c>services.AddResCoin(...)</c> returns: every ResCoin package extends it with its own registrations
/// (<c>.UsePredictor&lt;T&gt;()</c>, <c>.UseAllocator&lt;T&gt;()</c>, <c>.AddHostedService()</c>, …), so that they chain.
/// </summary>
public interface IResCoinBuilder
{
    /// <summary>The service collection ResCoin was added to.</summary>
    IServiceCollection Services { get; }
}
