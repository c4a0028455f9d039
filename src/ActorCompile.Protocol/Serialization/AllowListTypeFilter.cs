using Hyperion;

namespace ActorCompile.Protocol.Serialization;

/// <summary>
/// Hyperion's deserialization gate: a type name read from the wire is allowed only if it names one of
/// the given types (or an array of one). Hyperion 0.12.2's own TypeFilterBuilder compares names in a
/// form that differs from what it writes, so this filter compares the type's full name, ignoring the
/// assembly part.
/// </summary>
public sealed class AllowListTypeFilter : ITypeFilter
{
    private readonly HashSet<string> _allowed;

    public AllowListTypeFilter(IEnumerable<Type> types)
    {
        _allowed = new HashSet<string>(types.Select(t => t.FullName!), StringComparer.Ordinal);
    }

    public bool IsAllowed(string typeName)
    {
        var name = TypeNameWithoutAssembly(typeName);
        while (name.EndsWith("[]", StringComparison.Ordinal)) name = name[..^2];
        return _allowed.Contains(name);
    }

    private static string TypeNameWithoutAssembly(string typeName)
    {
        int depth = 0;
        for (int i = 0; i < typeName.Length; i++)
        {
            switch (typeName[i])
            {
                case '[': depth++; break;
                case ']': depth--; break;
                case ',' when depth == 0: return typeName[..i].Trim();
            }
        }
        return typeName.Trim();
    }
}
