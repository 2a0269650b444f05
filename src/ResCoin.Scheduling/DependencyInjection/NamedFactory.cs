namespace ResCoin.Scheduling;

/// <summary>
/// A predictor or allocator registered under a name (built in or the user's): configuration picks one by name
/// (<see cref="ResCoinOptions.Predictor"/>, <see cref="ResCoinOptions.Policy"/>); the last registration of a name wins.
/// </summary>
internal sealed class NamedFactory<T>(string name, Func<IServiceProvider, T> create)
    where T : class
{
    public string Name { get; } = name;

    public Func<IServiceProvider, T> Create { get; } = create;

    public static T Resolve(IServiceProvider services, IEnumerable<NamedFactory<T>> factories, string name, string key)
    {
        NamedFactory<T>? found = null;
        List<string> names = [];
        foreach (NamedFactory<T> f in factories)
        {
            if (!names.Contains(f.Name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(f.Name);
            }

            if (string.Equals(f.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                found = f;
            }
        }

        return found is null
            ? throw new InvalidOperationException($"{ResCoinOptions.SectionName}:{key} '{name}' is not registered; registered: {string.Join(", ", names)}.")
            : found.Create(services);
    }
}
