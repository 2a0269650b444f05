using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using ResCoin.Scheduling;

namespace ResCoin;

/// <summary>
/// Typed composition on <see cref="IResCoinBuilder"/>: register predictors and allocators as types, instances or
/// factories. <c>Use…</c> registers and selects; <c>Add…</c> only registers, so configuration can pick it by name.
/// A registered policy reaches the controller exactly like a built-in one.
/// </summary>
public static class ResCoinBuilderExtensions
{
    /// <summary>Registers <typeparamref name="T"/> (built by the container) under <paramref name="name"/> and selects it.</summary>
    /// <typeparam name="T">The predictor type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The name configuration knows it by.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder UsePredictor<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(this IResCoinBuilder builder, string name)
        where T : class, IPredictor
        => builder.UsePredictor(name, static sp => ActivatorUtilities.CreateInstance<T>(sp));

    /// <summary>Registers <typeparamref name="T"/> (built by the container) under its type name and selects it.</summary>
    /// <typeparam name="T">The type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder UsePredictor<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(this IResCoinBuilder builder)
        where T : class, IPredictor
        => builder.UsePredictor<T>(typeof(T).Name);

    /// <summary>Registers a predictor instance under its <see cref="IPredictor.Name"/> and selects it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="predictor">The predictor.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder UsePredictor(this IResCoinBuilder builder, IPredictor predictor)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        return builder.UsePredictor(predictor.Name, _ => predictor);
    }

    /// <summary>Registers a predictor factory under <paramref name="name"/> and selects it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The name.</param>
    /// <param name="factory">Builds the predictor (once: it is a singleton).</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder UsePredictor(this IResCoinBuilder builder, string name, Func<IServiceProvider, IPredictor> factory)
    {
        builder.AddPredictor(name, factory);
        builder.Services.Configure<ResCoinOptions>(o => o.Predictor = name);
        return builder;
    }

    /// <summary>Registers a predictor factory under <paramref name="name"/> for configuration to pick (<see cref="ResCoinOptions.Predictor"/>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The name.</param>
    /// <param name="factory">Builds the predictor.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder AddPredictor(this IResCoinBuilder builder, string name, Func<IServiceProvider, IPredictor> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddSingleton(new NamedFactory<IPredictor>(name, factory));
        return builder;
    }

    /// <summary>Registers <typeparamref name="T"/> (built by the container) under <paramref name="name"/> and selects it as the policy.</summary>
    /// <typeparam name="T">The allocator type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The name configuration knows it by.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder UseAllocator<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(this IResCoinBuilder builder, string name)
        where T : class, IAllocator
        => builder.UseAllocator(name, static sp => ActivatorUtilities.CreateInstance<T>(sp));

    /// <summary>Registers <typeparamref name="T"/> (built by the container) under its type name and selects it.</summary>
    /// <typeparam name="T">The type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder UseAllocator<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(this IResCoinBuilder builder)
        where T : class, IAllocator
        => builder.UseAllocator<T>(typeof(T).Name);

    /// <summary>Registers an allocator instance under its <see cref="IAllocator.Name"/> and selects it as the policy.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="allocator">The allocator (one controller's: allocators may keep state between periods).</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder UseAllocator(this IResCoinBuilder builder, IAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        return builder.UseAllocator(allocator.Name, _ => allocator);
    }

    /// <summary>Registers an allocator factory under <paramref name="name"/> and selects it as the policy.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The name.</param>
    /// <param name="factory">Builds the allocator (once: it is a singleton).</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder UseAllocator(this IResCoinBuilder builder, string name, Func<IServiceProvider, IAllocator> factory)
    {
        builder.AddAllocator(name, factory);
        builder.Services.Configure<ResCoinOptions>(o => o.Policy = name);
        return builder;
    }

    /// <summary>Registers an allocator factory under <paramref name="name"/> for configuration to pick (<see cref="ResCoinOptions.Policy"/>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The name.</param>
    /// <param name="factory">Builds the allocator.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder AddAllocator(this IResCoinBuilder builder, string name, Func<IServiceProvider, IAllocator> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddSingleton(new NamedFactory<IAllocator>(name, factory));
        return builder;
    }

    /// <summary>Registers an observer of every control period (<see cref="IPeriodObserver"/>).</summary>
    /// <typeparam name="T">The observer type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IResCoinBuilder AddObserver<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(this IResCoinBuilder builder)
        where T : class, IPeriodObserver
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IPeriodObserver, T>();
        return builder;
    }
}
